import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { createRandom } from '../samples/synthetic.ts';
import type { TextGenParams } from './config.ts';

/** The weights of one recurrent layer, as tfjs-layers holds them (gates i, f, c, o for an LSTM; z, r, h for a GRU). */
export interface RecurrentLayerWeights {
  /** `[inputSize, gates · units]`; the first layer's input is one-hot over the vocabulary. */
  kernel: tf.Tensor2D;
  /** `[units, gates · units]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[gates · units]`. */
  bias: tf.Tensor1D;
}

/** Views of a text network's weight variables (not copies: they follow training and die with the network). */
export interface TextNetworkWeights {
  cell: TextGenParams['cell'];
  units: number;
  vocabularySize: number;
  layers: RecurrentLayerWeights[];
  /** `[units, vocabularySize]`. */
  outputKernel: tf.Tensor2D;
  /** `[vocabularySize]`. */
  outputBias: tf.Tensor1D;
}

/**
 * The network as a tfjs-layers model, input `[null, null, vocabularySize]` (one-hot characters)
 * → `layers` × LSTM/GRU(units, returnSequences) → Dense(vocabularySize), output logits
 * `[null, null, vocabularySize]`. It is the container of the weights and what is saved as
 * `model.json` (so `tf.loadLayersModel` reads it and `predict` gives next-character logits); the
 * training and generation passes run the same arithmetic in `recurrent.ts`, which can take the
 * input projection of a whole window in one matmul and step one character at a time.
 *
 * Gates use the logistic sigmoid, not tfjs' default hard sigmoid. `seed` fixes the initial
 * weights: Glorot-uniform kernels, orthogonal recurrent kernels, LSTM forget-gate bias 1.
 *
 * The recurrent kernels are declared with a `zeros` initializer and set afterwards by
 * `orthogonalMatrix`: tfjs-layers runs a layer's declared initializers again on every load (before
 * it sets the stored weights), and tfjs' own orthogonal initializer takes over a minute for one
 * 512-unit GRU on the wasm backend.
 */
export function buildTextNetwork(params: Pick<TextGenParams, 'cell' | 'layers' | 'units'>, vocabularySize: number, seed: number): tfl.LayersModel {
  const model = tfl.sequential();
  for (let i = 0; i < params.layers; i++) {
    const config = {
      units: params.units,
      returnSequences: true,
      recurrentActivation: 'sigmoid' as const,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 10 * i + 1 }),
      recurrentInitializer: 'zeros' as const,
      ...(i === 0 ? { inputShape: [null, vocabularySize] } : {}),
    };
    model.add(params.cell === 'lstm' ? tfl.layers.lstm(config) : tfl.layers.gru(config));
  }
  model.add(tfl.layers.dense({ units: vocabularySize, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 99 }) }));
  model.layers.slice(0, -1).forEach((layer, i) => initialiseRecurrentLayer(layer, params.cell, seed + 10 * i + 2));
  return model;
}

/**
 * Sets a recurrent layer's kernel to an orthogonal matrix and, for an LSTM, its forget-gate bias
 * (the second quarter of `[4 · units]`) to 1, Keras' `unit_forget_bias` (tfjs' own
 * `unitForgetBias` option leaks tensors each time a model is built).
 */
function initialiseRecurrentLayer(layer: tfl.layers.Layer, cell: TextGenParams['cell'], seed: number): void {
  tf.tidy(() => {
    const [kernel, recurrentKernel, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor2D, tf.Tensor1D];
    const [units, width] = recurrentKernel.shape;
    const orthogonal = tf.tensor2d(orthogonalMatrix(units, width, seed), [units, width]);
    const forgetBias = cell === 'lstm' ? tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])]) : bias;
    layer.setWeights([kernel, orthogonal, forgetBias]);
  });
}

/**
 * A `[rows, cols]` matrix whose rows (when rows ≤ cols, else columns) are orthonormal, from seeded
 * Gaussian draws orthonormalised by modified Gram–Schmidt in float64: Keras' orthogonal initializer.
 */
export function orthogonalMatrix(rows: number, cols: number, seed: number): Float32Array {
  const count = Math.min(rows, cols);
  const length = Math.max(rows, cols);
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const vectors = Array.from({ length: count }, () => Float64Array.from({ length }, gaussian));
  vectors.forEach((vector, i) => {
    for (const previous of vectors.slice(0, i)) {
      let dot = 0;
      for (let k = 0; k < length; k++) dot += vector[k]! * previous[k]!;
      for (let k = 0; k < length; k++) vector[k]! -= dot * previous[k]!;
    }
    const norm = Math.hypot(...vector);
    for (let k = 0; k < length; k++) vector[k]! /= norm;
  });
  const matrix = new Float32Array(rows * cols);
  vectors.forEach((vector, i) => vector.forEach((value, k) => (matrix[rows <= cols ? i * cols + k : k * cols + i] = value)));
  return matrix;
}

/**
 * The network's weight variables in the order `recurrent.ts` reads them; checks the network's shape
 * against `cell` and the vocabulary. Its recurrent layers may be the stock classes or FastLSTM/FastGRU.
 */
export function readNetworkWeights(network: tfl.LayersModel, cell: TextGenParams['cell'], vocabularySize: number): TextNetworkWeights {
  const gates = cell === 'lstm' ? 4 : 3;
  const recurrent = network.layers.slice(0, -1);
  const output = network.layers.at(-1);
  // FastLSTM/FastGRU hold the same weights in the same order as the stock classes.
  const classNames = [cell.toUpperCase(), `Fast${cell.toUpperCase()}`];
  const layers = recurrent.map((layer) => {
    const [kernel, recurrentKernel, bias] = layer.getWeights() as [tf.Tensor2D?, tf.Tensor2D?, tf.Tensor1D?];
    if (!classNames.includes(layer.getClassName()) || !kernel || !recurrentKernel || !bias) {
      throw new ModelError(`text network layer ${layer.name} is a ${layer.getClassName()}, expected a ${cell.toUpperCase()} with bias`);
    }
    return { kernel, recurrentKernel, bias };
  });
  const [outputKernel, outputBias] = (output?.getWeights() ?? []) as [tf.Tensor2D?, tf.Tensor1D?];
  if (layers.length === 0 || output?.getClassName() !== 'Dense' || !outputKernel || !outputBias) {
    throw new ModelError('a text network is recurrent layers followed by one Dense layer');
  }
  const units = layers[0]!.recurrentKernel.shape[0];
  const shapesFit =
    layers[0]!.kernel.shape[0] === vocabularySize &&
    layers.every((l, i) => l.recurrentKernel.shape[0] === units && l.kernel.shape[1] === gates * units && (i === 0 || l.kernel.shape[0] === units)) &&
    outputKernel.shape[0] === units &&
    outputKernel.shape[1] === vocabularySize;
  if (!shapesFit) throw new ModelError(`text network shapes do not fit a ${cell.toUpperCase()} of ${units} units over ${vocabularySize} characters`);
  return { cell, units, vocabularySize, layers, outputKernel, outputBias };
}

/** The trainable variables in a fixed order: the optimizer's state is saved and restored in this order. */
export function trainableVariables(network: tfl.LayersModel): tf.Variable[] {
  return network.trainableWeights.map((weight) => weight.read() as tf.Variable);
}
