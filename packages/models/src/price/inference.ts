import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LstmStackKernel } from '../recurrent/lstm-stack-kernel.ts';
import { readLstmStack } from '../recurrent/read-lstm-stack.ts';

/**
 * How price LSTMs run their network when forecasting: `kernel` (the WebAssembly LSTM kernel,
 * `LstmStackKernel`), `tfjs` (the model's own `predict`), or `auto`: the kernel on the wasm and
 * cpu backends, where tfjs' per-op dispatch is most of the cost of a small batch (see `npm run
 * bench`, section `price-inference`), and tfjs on `tensorflow` (tfjs-node), whose ops are native.
 */
export type PriceInference = 'auto' | 'kernel' | 'tfjs';

let inference: PriceInference = 'auto';

/**
 * Chooses how price models forecast from now on (models already loaded follow too).
 * @defaultValue `auto`
 */
export function setPriceInference(choice: PriceInference): void {
  if (!['auto', 'kernel', 'tfjs'].includes(choice)) throw new Error(`price inference must be auto, kernel or tfjs, got ${String(choice)}`);
  inference = choice;
}

/** Whether price models should forecast with the kernel now, on the active backend. */
export function usePriceKernel(): boolean {
  if (inference === 'auto') return tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
  return inference === 'kernel';
}

/**
 * The kernel for a price network (its weights copied out of tfjs once), or why there is none:
 * a network other than the LSTM stacks `readLstmStack` covers, a runtime without WebAssembly
 * SIMD, or a kernel that failed to start.
 */
export function compilePriceKernel(network: tfl.LayersModel): LstmStackKernel | { unsupported: string } {
  const reading = readLstmStack(network);
  if ('unsupported' in reading) return reading;
  if (reading.head.units !== 1) return { unsupported: `a Dense head of ${reading.head.units} units` };
  try {
    return LstmStackKernel.create(reading.layers, reading.head) ?? { unsupported: 'a runtime without WebAssembly SIMD' };
  } catch (error) {
    // No memory for another WebAssembly instance, say: tfjs still forecasts.
    return { unsupported: `the kernel could not start: ${(error as Error).message}` };
  }
}
