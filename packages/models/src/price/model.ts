import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { PriceLstmParams } from './config.ts';

/**
 * The talk's network: input `[null, window, 1]` → LSTM(units1, returnSequences) → Dropout →
 * LSTM(units2) → Dropout → Dense(1), output `[null, 1]`. Compiled with MSE and RMSprop; the
 * optimizer is returned so the caller can dispose it (tfjs-layers does not own it).
 */
export function buildPriceLstm(params: PriceLstmParams, seed?: number): { model: tfl.LayersModel; optimizer: tf.Optimizer } {
  const seeded = (offset: number) => (seed === undefined ? {} : { seed: seed + offset });
  const model = tfl.sequential({
    layers: [
      tfl.layers.lstm({
        units: params.units1,
        returnSequences: true,
        inputShape: [params.window, 1],
        kernelInitializer: tfl.initializers.glorotUniform(seeded(1)),
        recurrentInitializer: tfl.initializers.orthogonal(seeded(2)),
      }),
      tfl.layers.dropout({ rate: params.dropout, ...seeded(3) }),
      tfl.layers.lstm({
        units: params.units2,
        kernelInitializer: tfl.initializers.glorotUniform(seeded(4)),
        recurrentInitializer: tfl.initializers.orthogonal(seeded(5)),
      }),
      tfl.layers.dropout({ rate: params.dropout, ...seeded(6) }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform(seeded(7)) }),
    ],
  });
  const optimizer = tf.train.rmsprop(params.learningRate);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return { model, optimizer };
}
