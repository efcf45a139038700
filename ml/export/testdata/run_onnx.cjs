// Runs an ONNX model with onnxruntime-node (CPU) on images read from a raw
// little-endian float32 file and prints the probabilities as JSON.
// Usage: node run_onnx.cjs MODEL IMAGES COUNT
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, images, count] = process.argv.slice(2);
  const n = Number(count);
  const buf = fs.readFileSync(images);
  const pixels = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(model);
  const input = new ort.Tensor('float32', pixels, [n, 1, 28, 28]);
  const out = await session.run({ image: input });
  const probs = out.probabilities;
  process.stdout.write(JSON.stringify({ dims: probs.dims, data: Array.from(probs.data) }));
}

main().catch((err) => { console.error(err); process.exit(1); });
