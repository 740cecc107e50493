import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { loadLayersModel, memoryArtifacts, saveLayersModel } from '../io.ts';
import { FastLSTM, setRecurrentImplementation, useFastRecurrent } from './fast-layers.ts';
import { expectClose, randomTensor } from './testing.ts';

beforeAll(() => initBackend('auto'));
afterEach(() => setRecurrentImplementation('auto'));

/** The talk's network shape, small, with either layer class, from the same seeds. */
function buildNetwork(fast: boolean): tfl.LayersModel {
  const lstm = (args: Parameters<typeof tfl.layers.lstm>[0]) => (fast ? new FastLSTM(args) : tfl.layers.lstm(args));
  const model = tfl.sequential({
    layers: [
      lstm({ units: 6, returnSequences: true, inputShape: [9, 1], kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tfl.initializers.orthogonal({ seed: 2 }) }),
      lstm({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), recurrentInitializer: tfl.initializers.orthogonal({ seed: 4 }) }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  return model;
}

describe('FastLSTM', () => {
  it('predicts and trains like the stock LSTM: the same weights after fitting', async () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([16, 9, 1], 7);
    const y = randomTensor([16, 1], 8);
    const stock = buildNetwork(false);
    const fast = buildNetwork(true);
    expect(fast.layers[0]!.getClassName()).toBe('FastLSTM');
    tf.tidy(() => expectClose(fast.predict(x) as tf.Tensor, stock.predict(x) as tf.Tensor, 'predict'));
    await stock.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    await fast.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const stockWeights = stock.getWeights();
    fast.getWeights().forEach((w, i) => expectClose(w, stockWeights[i]!, `weight ${i}`));
    tf.dispose([x, y]);
    for (const model of [stock, fast]) {
      model.optimizer.dispose(); // compile() does not hand it over to the model
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves and loads through the project IO, and a stock LSTM\'s weights load into it and back', async () => {
    const x = randomTensor([4, 9, 1], 9);
    const fast = buildNetwork(true);
    const io = memoryArtifacts();
    await saveLayersModel(fast, io);
    expect(new TextDecoder().decode(await io.read('model.json'))).toContain('"class_name":"FastLSTM"');
    const loaded = await loadLayersModel(io);
    expect(loaded.layers[0]!.getClassName()).toBe('FastLSTM');
    tf.tidy(() => expectClose(loaded.predict(x) as tf.Tensor, fast.predict(x) as tf.Tensor, 'loaded'));

    const stock = buildNetwork(false);
    stock.setWeights(fast.getWeights());
    tf.tidy(() => expectClose(stock.predict(x) as tf.Tensor, fast.predict(x) as tf.Tensor, 'stock with fast weights'));
    tf.dispose(x);
    [fast, loaded, stock].forEach((m) => m.dispose());
  });

  it('is chosen by auto on wasm and cpu, and can be forced either way', () => {
    setRecurrentImplementation('auto');
    expect(useFastRecurrent()).toBe(['wasm', 'cpu'].includes(tf.getBackend()));
    setRecurrentImplementation('stock');
    expect(useFastRecurrent()).toBe(false);
    setRecurrentImplementation('fast');
    expect(useFastRecurrent()).toBe(true);
    expect(() => setRecurrentImplementation('turbo' as never)).toThrow(/auto, fast or stock/);
  });
});
