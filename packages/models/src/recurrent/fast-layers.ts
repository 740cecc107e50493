import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { recurrentActivations, type RecurrentActivation } from './activations.ts';
import { lstmSequence } from './lstm-sequence.ts';

/** What the fast path reads of a tfjs-layers LSTM (fields the package keeps public at run time but does not type). */
interface LstmInternals {
  cell: {
    kernel: tfl.LayerVariable;
    recurrentKernel: tfl.LayerVariable;
    bias: tfl.LayerVariable | null;
    useBias: boolean;
    dropout: number;
    recurrentDropout: number;
    activation: { getClassName(): string };
    recurrentActivation: { getClassName(): string };
  };
  stateful: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
}

/** tfjs-layers' LSTM arguments (the package does not export the type from its root). */
export type LSTMLayerArgs = Parameters<typeof tfl.layers.lstm>[0];
type StockLstmLayer = ReturnType<typeof tfl.layers.lstm>;
type LstmConstructor = new (args: LSTMLayerArgs) => StockLstmLayer;
// tfjs-layers exports the factory, not the class; its prototype chain gives the class.
const StockLSTM = Object.getPrototypeOf(tfl.layers.lstm({ units: 1 })).constructor as LstmConstructor;

/**
 * tfjs-layers' LSTM with its sequence computed by `lstmSequence`: one input matmul for all steps,
 * a fused step, and a hand-written backward pass through time, instead of the stock layer's many
 * small taped ops per step. Same config, same weights (names, shapes, gate order), same results
 * within float32 rounding, so a stock LSTM's weights load into it and back. Saved models name it
 * `FastLSTM`; importing `@mlq/models` registers it for loading. Masks (e.g. from an Embedding with
 * `maskZero`) take the fast path too. Configurations it does not cover (stateful, goBackwards,
 * dropout inside the cell, activations other than tanh with a sigmoid or hardSigmoid gate) run the
 * stock code.
 */
export class FastLSTM extends StockLSTM {
  static readonly className = 'FastLSTM';

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- RNN.call's own signature
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: any): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as LstmInternals;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const given = (kwargs?.initialState as tf.Tensor[] | undefined) ?? (list.length > 1 ? list.slice(1) : undefined);
    // A container run passes one mask per input when the initial state comes in the inputs list.
    const mask = (Array.isArray(kwargs?.mask) ? kwargs.mask[0] : kwargs?.mask) as tf.Tensor2D | null | undefined;
    const activation = self.cell.recurrentActivation.getClassName() as RecurrentActivation;
    const fast =
      !self.stateful &&
      !self.goBackwards &&
      self.cell.dropout === 0 &&
      self.cell.recurrentDropout === 0 &&
      self.cell.activation.getClassName() === 'tanh' &&
      recurrentActivations.includes(activation);
    if (!fast) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { cell } = self;
      const units = cell.recurrentKernel.shape[0]!;
      const run = lstmSequence(
        list[0] as tf.Tensor3D,
        {
          kernel: cell.kernel.read() as tf.Tensor2D,
          recurrentKernel: cell.recurrentKernel.read() as tf.Tensor2D,
          bias: cell.useBias && cell.bias ? (cell.bias.read() as tf.Tensor1D) : tf.zeros<tf.Rank.R1>([4 * units]),
        },
        {
          recurrentActivation: activation,
          // predict() (training false): nothing is kept for a backward pass.
          inference: kwargs?.training !== true,
          ...(given ? { initialState: { h: given[0] as tf.Tensor2D, c: given[1] as tf.Tensor2D } } : {}),
          ...(mask ? { mask } : {}),
        },
      );
      const output = self.returnSequences ? run.outputs : run.h;
      return self.returnState ? [output, run.h, run.c] : output;
    });
  }
}
tf.serialization.registerClass(FastLSTM as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Which recurrent layers the model families build. */
export type RecurrentImplementation = 'auto' | 'fast' | 'stock';

let implementation: RecurrentImplementation = 'auto';

/**
 * Chooses the recurrent layers: `fast` (FastLSTM), `stock` (tfjs-layers' own), or `auto`, fast
 * where it measured faster: the wasm and cpu backends (see `npm run bench`, section `recurrent`).
 * On `tensorflow` (tfjs-node) `auto` keeps the stock layers, whose steps run as native kernels.
 * @defaultValue `auto` (the worker sets it from `RECURRENT_LAYERS`)
 */
export function setRecurrentImplementation(choice: RecurrentImplementation): void {
  if (!['auto', 'fast', 'stock'].includes(choice)) throw new Error(`recurrent implementation must be auto, fast or stock, got ${String(choice)}`);
  implementation = choice;
}

/** Whether the families should build FastLSTM layers now, on the active backend. */
export function useFastRecurrent(): boolean {
  if (implementation === 'auto') return tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
  return implementation === 'fast';
}

/** `tfl.layers.lstm`, or `FastLSTM` when `useFastRecurrent()`: the same arguments either way. */
export function createLstmLayer(args: LSTMLayerArgs): StockLstmLayer {
  return useFastRecurrent() ? new FastLSTM(args) : tfl.layers.lstm(args);
}
