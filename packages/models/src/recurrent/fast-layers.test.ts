import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { loadLayersModel, memoryArtifacts, saveLayersModel } from '../io.ts';
import { FastLSTM, setRecurrentImplementation, useFastRecurrent } from './fast-layers.ts';
import { expectClose, randomTensor } from './testing.ts';

beforeAll(() => initBackend('auto'));
afterEach(() => {
  setRecurrentImplementation('auto');
  vi.restoreAllMocks();
});

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

/**
 * seq2seq's shape, small: tokens → Embedding (`maskZero`) → encoder LSTM's final state → decoder
 * LSTM from that state over its own masked tokens → Dense. Same seeds for either layer class.
 */
function buildMaskedEncoderDecoder(fast: boolean): tfl.LayersModel {
  const lstm = (args: Parameters<typeof tfl.layers.lstm>[0]) => (fast ? new FastLSTM(args) : tfl.layers.lstm(args));
  const seeded = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }), recurrentInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) });
  const encoderTokens = tfl.input({ shape: [null], dtype: 'int32' });
  const decoderTokens = tfl.input({ shape: [null], dtype: 'int32' });
  // Frozen: its gradient needs a kernel the wasm backend lacks (seq2seq registers its own).
  const embedding = tfl.layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true, trainable: false, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }) });
  const encoder = lstm({ units: 4, returnState: true, recurrentActivation: 'sigmoid', ...seeded(2) });
  const decoder = lstm({ units: 4, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid', ...seeded(4) });
  const [, h, c] = encoder.apply(embedding.apply(encoderTokens)) as tfl.SymbolicTensor[];
  const [decoded] = decoder.apply([embedding.apply(decoderTokens) as tfl.SymbolicTensor, h!, c!]) as tfl.SymbolicTensor[];
  const logits = tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }).apply(decoded!) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [encoderTokens, decoderTokens], outputs: logits });
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

  it('with an Embedding\'s mask and returned states feeding a second LSTM: the stock outputs and gradients, on the fast path', () => {
    const before = tf.memory().numTensors;
    // Right padding as seq2seq batches it, and an encoder row with a single real token.
    const encoderTokens = tf.tensor2d([[1, 2, 3, 0], [4, 0, 0, 0], [5, 6, 2, 0]], [3, 4], 'int32');
    const decoderTokens = tf.tensor2d([[1, 2, 0], [3, 4, 5], [6, 0, 0]], [3, 3], 'int32');
    const probe = randomTensor([3, 3, 5], 10);
    const stock = buildMaskedEncoderDecoder(false);
    const fast = buildMaskedEncoderDecoder(true);
    const stockCall = vi.spyOn(Object.getPrototypeOf(FastLSTM.prototype) as { call: () => unknown }, 'call');
    const run = (model: tfl.LayersModel) => {
      const predicted = model.predict([encoderTokens, decoderTokens]) as tf.Tensor;
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply([encoderTokens, decoderTokens], { training: true }) as tf.Tensor, probe)), variables);
      return { predicted, value, grads: variables.map((v) => grads[v.name]!), all: [predicted, value, ...Object.values(grads)] };
    };
    const expected = run(stock);
    expect(stockCall).toHaveBeenCalled();
    stockCall.mockClear();
    const actual = run(fast);
    expect(stockCall).not.toHaveBeenCalled();
    expectClose(actual.predicted, expected.predicted, 'predict');
    expectClose(actual.value, expected.value, 'training output');
    expect(actual.grads).toHaveLength(expected.grads.length);
    actual.grads.forEach((grad, i) => expectClose(grad, expected.grads[i]!, `gradient of ${fast.trainableWeights[i]!.name}`));
    tf.dispose([encoderTokens, decoderTokens, probe, ...expected.all, ...actual.all]);
    for (const model of [stock, fast]) for (const weight of model.weights) weight.dispose();
    expect(tf.memory().numTensors).toBe(before);
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
