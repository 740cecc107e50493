import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { recurrentActivations, type RecurrentActivation } from './activations.ts';
import { gruSequence } from './gru-sequence.ts';
import { lstmSequence } from './lstm-sequence.ts';

/** What the fast paths read of a tfjs-layers LSTM or GRU (fields the package keeps public at run time but does not type). */
interface RecurrentLayerInternals {
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

/** The gate activation when the layer's config is one the sequence functions compute, else null (run the stock code). */
function fastPathActivation(layer: RecurrentLayerInternals): RecurrentActivation | null {
  const activation = layer.cell.recurrentActivation.getClassName() as RecurrentActivation;
  const covered =
    !layer.stateful &&
    !layer.goBackwards &&
    layer.cell.dropout === 0 &&
    layer.cell.recurrentDropout === 0 &&
    layer.cell.activation.getClassName() === 'tanh' &&
    recurrentActivations.includes(activation);
  return covered ? activation : null;
}

/** `call`'s sequence, initial state (from kwargs, or after the sequence in the inputs list) and mask. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- RNN.call's own kwargs
function readCallInputs(inputs: tf.Tensor | tf.Tensor[], kwargs: any) {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const initialState = (kwargs?.initialState as tf.Tensor2D[] | undefined) ?? (list.length > 1 ? (list.slice(1) as tf.Tensor2D[]) : undefined);
  // A container run passes one mask per input when the initial state comes in the inputs list.
  const mask = (Array.isArray(kwargs?.mask) ? kwargs.mask[0] : kwargs?.mask) as tf.Tensor2D | null | undefined;
  // predict() (training false): nothing is kept for a backward pass.
  return { x: list[0] as tf.Tensor3D, initialState, mask: mask ?? undefined, inference: kwargs?.training !== true };
}

/** The layer's weights as the sequence functions take them; zeros for the bias of a layer without one. */
function readWeights(layer: RecurrentLayerInternals, gates: number) {
  const { cell } = layer;
  const units = cell.recurrentKernel.shape[0]!;
  return {
    kernel: cell.kernel.read() as tf.Tensor2D,
    recurrentKernel: cell.recurrentKernel.read() as tf.Tensor2D,
    bias: cell.useBias && cell.bias ? (cell.bias.read() as tf.Tensor1D) : tf.zeros<tf.Rank.R1>([gates * units]),
  };
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
    const self = this as unknown as RecurrentLayerInternals;
    const activation = fastPathActivation(self);
    if (!activation) return super.call(inputs, kwargs);
    const { x, initialState, mask, inference } = readCallInputs(inputs, kwargs);
    return tf.tidy(() => {
      const run = lstmSequence(x, readWeights(self, 4), {
        recurrentActivation: activation,
        inference,
        ...(initialState ? { initialState: { h: initialState[0]!, c: initialState[1]! } } : {}),
        ...(mask ? { mask } : {}),
      });
      const output = self.returnSequences ? run.outputs : run.h;
      return self.returnState ? [output, run.h, run.c] : output;
    });
  }
}
tf.serialization.registerClass(FastLSTM as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tfjs-layers' GRU arguments (the package does not export the type from its root). */
export type GRULayerArgs = Parameters<typeof tfl.layers.gru>[0];
type StockGruLayer = ReturnType<typeof tfl.layers.gru>;
type GruConstructor = new (args: GRULayerArgs) => StockGruLayer;
const StockGRU = Object.getPrototypeOf(tfl.layers.gru({ units: 1 })).constructor as GruConstructor;

/**
 * tfjs-layers' GRU with its sequence computed by `gruSequence`, as `FastLSTM` is for the LSTM:
 * same config and weights (gate order z, r, h; tfjs has no `resetAfter`), same results within
 * float32 rounding, serialised as `FastGRU`. Masks, an initial state, `returnSequences` and
 * `returnState` take the fast path; stateful, goBackwards, dropout inside the cell, and activations
 * other than tanh with a sigmoid or hardSigmoid gate run the stock code.
 */
export class FastGRU extends StockGRU {
  static readonly className = 'FastGRU';

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- RNN.call's own signature
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: any): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as RecurrentLayerInternals;
    const activation = fastPathActivation(self);
    if (!activation) return super.call(inputs, kwargs);
    const { x, initialState, mask, inference } = readCallInputs(inputs, kwargs);
    return tf.tidy(() => {
      const run = gruSequence(x, readWeights(self, 3), {
        recurrentActivation: activation,
        inference,
        ...(initialState ? { initialState: initialState[0]! } : {}),
        ...(mask ? { mask } : {}),
      });
      const output = self.returnSequences ? run.outputs : run.h;
      return self.returnState ? [output, run.h] : output;
    });
  }
}
tf.serialization.registerClass(FastGRU as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Which recurrent layers the model families build. */
export type RecurrentImplementation = 'auto' | 'fast' | 'stock';

let implementation: RecurrentImplementation = 'auto';

/**
 * Chooses the recurrent layers: `fast` (FastLSTM, FastGRU), `stock` (tfjs-layers' own), or `auto`, fast
 * where it measured faster: the wasm and cpu backends (see `npm run bench`, section `recurrent`).
 * On `tensorflow` (tfjs-node) `auto` keeps the stock layers, whose steps run as native kernels.
 * @defaultValue `auto` (the worker sets it from `RECURRENT_LAYERS`)
 */
export function setRecurrentImplementation(choice: RecurrentImplementation): void {
  if (!['auto', 'fast', 'stock'].includes(choice)) throw new Error(`recurrent implementation must be auto, fast or stock, got ${String(choice)}`);
  implementation = choice;
}

/** Whether the families should build FastLSTM/FastGRU layers now, on the active backend. */
export function useFastRecurrent(): boolean {
  if (implementation === 'auto') return tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
  return implementation === 'fast';
}

/** `tfl.layers.lstm`, or `FastLSTM` when `useFastRecurrent()`: the same arguments either way. */
export function createLstmLayer(args: LSTMLayerArgs): StockLstmLayer {
  return useFastRecurrent() ? new FastLSTM(args) : tfl.layers.lstm(args);
}

/** `tfl.layers.gru`, or `FastGRU` when `useFastRecurrent()`: the same arguments either way. */
export function createGruLayer(args: GRULayerArgs): StockGruLayer {
  return useFastRecurrent() ? new FastGRU(args) : tfl.layers.gru(args);
}
