// Runs the ORIGINAL face descriptor of npm @vladmandic/face-api 1.7.15 (FaceRecognitionNet, dlib's ResNet as
// ported by face-api.js) with TensorFlow.js (@tensorflow/tfjs 4.22.0, pure-JS CPU backend) on 150x150 RGB face
// chips given as JSON, through the library's own computeFaceDescriptor (its normalization included), and prints
// the descriptors as JSON. Called by scripts/reference_descriptor.py; nothing here runs in the product.
//
//   node scripts/reference_descriptor.cjs WEIGHTS_DIR CHIPS.json > OUT.json
//
// CHIPS.json:  {"chips": [[150*150*3 RGB bytes, row-major], ...]}
// OUT.json:    {"face_api_version": "...", "tfjs_version": "...", "backend": "cpu", "descriptors": [[128], ...]}
const fs = require('node:fs');
const path = require('node:path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const [weightsDir, chipsPath] = process.argv.slice(2);
if (!weightsDir || !chipsPath) {
  console.error('usage: node reference_descriptor.cjs WEIGHTS_DIR CHIPS.json');
  process.exit(2);
}
(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  const manifest = JSON.parse(fs.readFileSync(path.join(weightsDir, 'face_recognition_model-weights_manifest.json')));
  const bin = fs.readFileSync(path.join(weightsDir, 'face_recognition_model.bin'));
  const specs = manifest.flatMap((g) => g.weights);
  const weightMap = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
  const net = faceapi.nets.faceRecognitionNet;
  net.loadFromWeightMap(weightMap);
  const { chips } = JSON.parse(fs.readFileSync(chipsPath, 'utf8'));
  const descriptors = [];
  for (const chip of chips) {
    const x = tf.tensor3d(Int32Array.from(chip), [150, 150, 3], 'int32');
    const d = await net.computeFaceDescriptor(x);
    descriptors.push(Array.from(d));
    x.dispose();
  }
  process.stdout.write(JSON.stringify({
    face_api_version: faceapi.version, tfjs_version: tf.version.tfjs, backend: tf.getBackend(), descriptors,
  }));
})();
