import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient of `tf.gather`, so of every Embedding layer, calls `UnsortedSegmentSum`, a kernel
 * tfjs-backend-wasm 4.22 lacks: training an embedding there fails with "Kernel
 * 'UnsortedSegmentSum' not registered for backend 'wasm'". This registers a plain-JS kernel for
 * the current backend when it has none. Process-wide, but it only fills the gap: backends that
 * have the kernel (cpu, tensorflow) keep theirs.
 *
 * Semantics as TensorFlow's: `x [n, ...rest]`, `segmentIds [n]` (or a prefix of x's shape) →
 * `[numSegments, ...rest]`, each row the sum of the rows of `x` with that id; ids outside
 * `[0, numSegments)` are dropped.
 */
export function ensureSegmentSumKernel(): void {
  const backendName = tf.getBackend();
  if (tf.getKernel(tf.UnsortedSegmentSum, backendName)) return;
  tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName, kernelFunc: unsortedSegmentSum });
}

function unsortedSegmentSum({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const kernelBackend = backend as tf.KernelBackend;
  const values = kernelBackend.readSync(x.dataId) as tf.TypedArray;
  const ids = kernelBackend.readSync(segmentIds.dataId) as tf.TypedArray;
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = rowShape.reduce((size, dim) => size * dim, 1);
  const outShape = [numSegments, ...rowShape];
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
  for (let row = 0; row < ids.length; row++) {
    const segment = ids[row]!;
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * rowSize;
    const to = segment * rowSize;
    for (let k = 0; k < rowSize; k++) out[to + k] = out[to + k]! + values[from + k]!;
  }
  return { dataId: kernelBackend.write(out, outShape, x.dtype), shape: outShape, dtype: x.dtype };
}
