import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { PriceLstmParams } from './config.ts';
import { createLstmLayer } from '../recurrent/fast-layers.ts';

/**
 * Sets the forget-gate part of an LSTM's bias (`[4 · units]`, gates in order i, f, c, o) to
 * `value`: Keras' `unit_forget_bias=True`, the default of the talk's network. tfjs' own
 * `unitForgetBias` option leaks four tensors per layer each time a model is built or loaded.
 */
function setForgetBias(lstm: tfl.LayersModel['layers'][number], value: number): void {
  tf.tidy(() => {
    const [kernel, recurrentKernel, bias] = lstm.getWeights();
    const units = bias!.shape[0]! / 4;
    lstm.setWeights([kernel!, recurrentKernel!, tf.concat([tf.zeros([units]), tf.fill([units], value), tf.zeros([2 * units])])]);
  });
}

/**
 * The talk's network: input `[null, window, 1]` → LSTM(units1, returnSequences) → Dropout →
 * LSTM(units2) → Dropout → Dense(1), output `[null, 1]`; the LSTMs are `FastLSTM` where
 * `useFastRecurrent()` says so (same weights and results, faster on wasm and cpu). Compiled with MSE and RMSprop; the
 * optimizer is returned so the caller can dispose it (tfjs-layers does not own it).
 *
 * `seed` makes the initial weights deterministic (Glorot-uniform kernels, orthogonal recurrent
 * kernels). Dropout is deliberately not seeded: tfjs draws a seeded mask afresh from the same
 * seed on every call, so a seeded Dropout would drop the same units at every step. Batch order
 * (tfjs shuffles with Math.random) is not seeded either, so training itself is not bit-for-bit
 * reproducible.
 */
export function buildPriceLstm(params: PriceLstmParams, seed?: number): { model: tfl.LayersModel; optimizer: tf.Optimizer } {
  const seeded = (offset: number) => (seed === undefined ? {} : { seed: seed + offset });
  const model = tfl.sequential({
    layers: [
      createLstmLayer({
        units: params.units1,
        returnSequences: true,
        inputShape: [params.window, 1],
        kernelInitializer: tfl.initializers.glorotUniform(seeded(1)),
        recurrentInitializer: tfl.initializers.orthogonal(seeded(2)),
      }),
      tfl.layers.dropout({ rate: params.dropout }),
      createLstmLayer({
        units: params.units2,
        kernelInitializer: tfl.initializers.glorotUniform(seeded(4)),
        recurrentInitializer: tfl.initializers.orthogonal(seeded(5)),
      }),
      tfl.layers.dropout({ rate: params.dropout }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform(seeded(7)) }),
    ],
  });
  for (const layer of model.layers) if (layer.getClassName() === 'LSTM' || layer.getClassName() === 'FastLSTM') setForgetBias(layer, 1);
  const optimizer = tf.train.rmsprop(params.learningRate);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return { model, optimizer };
}
