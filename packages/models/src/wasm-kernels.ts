import * as tf from '@tensorflow/tfjs-core';

/** What this module needs of tfjs-backend-wasm's backend object (not exported as a type by the package). */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let installed = false;

/**
 * tfjs-backend-wasm 4.22's `Slice` reads its input with `readSync`, which copies the *whole* input
 * out of the wasm heap before taking the slice; `Unpack` and `SplitV` slice the same way, once per
 * output. Unstacking a `[50, 512, 100]` tensor into its 50 steps copies 10 MB fifty times (250 ms
 * here, against about 1 ms for the bytes it keeps). Every recurrent layer slices per time step,
 * tfjs-layers' own included, so this dominated their cost. These kernels read the input in place:
 * the same results, the same semantics; strings and ranks above 4 go to the original kernels.
 * Idempotent; touches only the wasm backend.
 */
export function installFastWasmSlicing(): void {
  if (installed) return;
  const originals = Object.fromEntries(['Slice', 'Unpack', 'SplitV'].map((name) => [name, tf.getKernel(name, 'wasm')]));
  if (!originals.Slice || !originals.Unpack || !originals.SplitV) return;
  installed = true;
  const sliceKernel = (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    if (!sliceable(x)) return originals.Slice!.kernelFunc(args);
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return sliceInPlace(args.backend as WasmBackend, x, begin_!, size_!);
  };
  const unpackKernel = (args: KernelArgs) => {
    const { value } = args.inputs as { value: tf.TensorInfo };
    if (!sliceable(value)) return originals.Unpack!.kernelFunc(args);
    const rank = value.shape.length;
    const axis = ((args.attrs as unknown as tf.UnpackAttrs).axis + rank) % rank;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = [...value.shape];
    size[axis] = 1;
    return Array.from({ length: value.shape[axis]! }, (_, i) => {
      begin[axis] = i;
      return { ...sliceInPlace(args.backend as WasmBackend, value, [...begin], size), shape: outShape };
    });
  };
  const splitKernel = (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!sliceable(x)) return originals.SplitV!.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const splitAxis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, splitAxis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((part) => {
      const size = [...x.shape];
      size[splitAxis] = part;
      const out = sliceInPlace(args.backend as WasmBackend, x, [...begin], size);
      begin[splitAxis] = begin[splitAxis]! + part;
      return out;
    });
  };
  for (const [name, kernelFunc] of [
    ['Slice', sliceKernel],
    ['Unpack', unpackKernel],
    ['SplitV', splitKernel],
  ] as const) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
  }
}

const sliceable = (x: tf.TensorInfo) => x.dtype !== 'string' && x.shape.length <= 4;

/** Copies `x[begin : begin + size]` into a new output, reading `x` where it lies in the heap. */
function sliceInPlace(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after the output's allocation, which may have grown (and so replaced) the heap.
  const xVals = backend.typedArrayFromHeap(x);
  const outVals = backend.typedArrayFromHeap(out);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
    outVals.set(xVals.subarray(offset, offset + tf.util.sizeFromShape(size)));
    return out;
  }
  // Copy the innermost runs: pad to rank 4 and walk the outer three axes.
  const pad = 4 - x.shape.length;
  const shape4 = [...new Array<number>(pad).fill(1), ...x.shape];
  const begin4 = [...new Array<number>(pad).fill(0), ...begin];
  const size4 = [...new Array<number>(pad).fill(1), ...size];
  const strides = tf.util.computeStrides(shape4);
  const run = size4[3]!;
  let written = 0;
  for (let a = begin4[0]!; a < begin4[0]! + size4[0]!; a++) {
    for (let b = begin4[1]!; b < begin4[1]! + size4[1]!; b++) {
      for (let c = begin4[2]!; c < begin4[2]! + size4[2]!; c++) {
        const from = a * strides[0]! + b * strides[1]! + c * strides[2]! + begin4[3]!;
        outVals.set(xVals.subarray(from, from + run), written);
        written += run;
      }
    }
  }
  return out;
}
