import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { loadLayersModel, memoryArtifacts, saveLayersModel } from '../io.ts';
import { FastGRU, FastLSTM, createGruLayer, createLstmLayer, setRecurrentImplementation, useFastRecurrent, type GRULayerArgs } from './fast-layers.ts';
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
      lstm({
        units: 6,
        returnSequences: true,
        inputShape: [9, 1],
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        recurrentInitializer: tfl.initializers.orthogonal({ seed: 2 }),
      }),
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
  const embedding = tfl.layers.embedding({
    inputDim: 7,
    outputDim: 3,
    maskZero: true,
    trainable: false,
    embeddingsInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }),
  });
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

  it("saves and loads through the project IO, and a stock LSTM's weights load into it and back", async () => {
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

  it("with an Embedding's mask and returned states feeding a second LSTM: the stock outputs and gradients, on the fast path", () => {
    const before = tf.memory().numTensors;
    // Right padding as seq2seq batches it, and an encoder row with a single real token.
    const encoderTokens = tf.tensor2d(
      [
        [1, 2, 3, 0],
        [4, 0, 0, 0],
        [5, 6, 2, 0],
      ],
      [3, 4],
      'int32',
    );
    const decoderTokens = tf.tensor2d(
      [
        [1, 2, 0],
        [3, 4, 5],
        [6, 0, 0],
      ],
      [3, 3],
      'int32',
    );
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

  it('is what createLstmLayer and createGruLayer build when fast, the stock classes when stock', () => {
    setRecurrentImplementation('fast');
    expect([createLstmLayer({ units: 2 }), createGruLayer({ units: 2 })].map((l) => l.getClassName())).toEqual(['FastLSTM', 'FastGRU']);
    setRecurrentImplementation('stock');
    expect([createLstmLayer({ units: 2 }), createGruLayer({ units: 2 })].map((l) => l.getClassName())).toEqual(['LSTM', 'GRU']);
  });
});

const gru = (fast: boolean) => (args: GRULayerArgs) => (fast ? new FastGRU(args) : tfl.layers.gru(args));
const stockGruCall = () => vi.spyOn(Object.getPrototypeOf(FastGRU.prototype) as { call: () => unknown }, 'call');

/** Two stacked GRUs (the first returning sequences) and a Dense, with either layer class, from the same seeds. */
function buildGruNetwork(fast: boolean, activation: 'sigmoid' | 'hardSigmoid' = 'hardSigmoid'): tfl.LayersModel {
  const seeded = (seed: number) => ({
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    recurrentInitializer: tfl.initializers.orthogonal({ seed: seed + 1 }),
    biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
  });
  const model = tfl.sequential({
    layers: [
      gru(fast)({ units: 6, returnSequences: true, inputShape: [9, 2], recurrentActivation: activation, ...seeded(1) }),
      gru(fast)({ units: 5, recurrentActivation: activation, ...seeded(4) }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  return model;
}

/** A model's prediction, its training-mode output on a random projection and the gradient of every trainable weight. */
function runForGradients(model: tfl.LayersModel, inputs: tf.Tensor | tf.Tensor[], probe: tf.Tensor) {
  const predicted = model.predict(inputs) as tf.Tensor;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(inputs, { training: true }) as tf.Tensor, probe)), variables);
  return { predicted, value, grads: variables.map((v) => grads[v.name]!), all: [predicted, value, ...Object.values(grads)] };
}

function expectSameRun(actual: ReturnType<typeof runForGradients>, expected: ReturnType<typeof runForGradients>, model: tfl.LayersModel): void {
  expectClose(actual.predicted, expected.predicted, 'predict');
  expectClose(actual.value, expected.value, 'training output');
  expect(actual.grads).toHaveLength(expected.grads.length);
  actual.grads.forEach((grad, i) => expectClose(grad, expected.grads[i]!, `gradient of ${model.trainableWeights[i]!.name}`));
}

describe('FastGRU', () => {
  for (const activation of ['hardSigmoid', 'sigmoid'] as const) {
    for (const batch of [1, 5]) {
      it(`${activation}, batch ${batch}: predict, training output and every weight gradient of stacked GRUs as the stock GRU's, on the fast path`, () => {
        const before = tf.memory().numTensors;
        const x = randomTensor([batch, 9, 2], 11);
        const probe = randomTensor([batch, 1], 12);
        const stock = buildGruNetwork(false, activation);
        const fast = buildGruNetwork(true, activation);
        expect(fast.layers.slice(0, 2).map((l) => l.getClassName())).toEqual(['FastGRU', 'FastGRU']);
        const stockCall = stockGruCall();
        const expected = runForGradients(stock, x, probe);
        expect(stockCall).toHaveBeenCalled();
        stockCall.mockClear();
        const actual = runForGradients(fast, x, probe);
        expect(stockCall).not.toHaveBeenCalled();
        expect(actual.predicted.shape).toEqual([batch, 1]);
        expectSameRun(actual, expected, fast);
        tf.dispose([x, probe, ...expected.all, ...actual.all]);
        for (const model of [stock, fast]) {
          model.optimizer.dispose();
          model.dispose();
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('trains like the stock GRU: the same weights after fitting', async () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([16, 9, 2], 13);
    const y = randomTensor([16, 1], 14);
    const stock = buildGruNetwork(false);
    const fast = buildGruNetwork(true);
    await stock.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    await fast.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const stockWeights = stock.getWeights();
    fast.getWeights().forEach((w, i) => expectClose(w, stockWeights[i]!, `weight ${i}`));
    tf.dispose([x, y]);
    for (const model of [stock, fast]) {
      model.optimizer.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("with an Embedding's mask and an encoder's returned state as the initial state of a second GRU: the stock outputs and gradients, on the fast path", () => {
    const before = tf.memory().numTensors;
    const build = (fast: boolean) => {
      const seeded = (seed: number) => ({
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        recurrentInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
        biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
      });
      const encoderTokens = tfl.input({ shape: [null], dtype: 'int32' });
      const decoderTokens = tfl.input({ shape: [null], dtype: 'int32' });
      // Frozen: its gradient needs a kernel the wasm backend lacks.
      const embedding = tfl.layers.embedding({
        inputDim: 7,
        outputDim: 3,
        maskZero: true,
        trainable: false,
        embeddingsInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }),
      });
      const encoder = gru(fast)({ units: 4, returnState: true, recurrentActivation: 'sigmoid', ...seeded(2) });
      const decoder = gru(fast)({ units: 4, returnSequences: true, returnState: true, ...seeded(5) });
      const [, h] = encoder.apply(embedding.apply(encoderTokens)) as tfl.SymbolicTensor[];
      // Only its sequence is used: tfjs-layers' executor calls a layer once per output it needs,
      // and a second call of an RNN that took its state in the inputs list throws.
      const [decoded] = decoder.apply([embedding.apply(decoderTokens) as tfl.SymbolicTensor, h!]) as tfl.SymbolicTensor[];
      const logits = tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }) }).apply(decoded!) as tfl.SymbolicTensor;
      return tfl.model({ inputs: [encoderTokens, decoderTokens], outputs: logits });
    };
    // Right padding, an encoder row with a single real token, a decoder row with leading padding.
    const encoderTokens = tf.tensor2d(
      [
        [1, 2, 3, 0],
        [4, 0, 0, 0],
        [5, 6, 2, 0],
      ],
      [3, 4],
      'int32',
    );
    const decoderTokens = tf.tensor2d(
      [
        [1, 2, 0],
        [3, 4, 5],
        [0, 0, 6],
      ],
      [3, 3],
      'int32',
    );
    const probe = randomTensor([3, 3, 5], 10);
    const stock = build(false);
    const fast = build(true);
    const stockCall = stockGruCall();
    const expected = runForGradients(stock, [encoderTokens, decoderTokens], probe);
    expect(stockCall).toHaveBeenCalled();
    stockCall.mockClear();
    const actual = runForGradients(fast, [encoderTokens, decoderTokens], probe);
    expect(stockCall).not.toHaveBeenCalled();
    expectSameRun(actual, expected, fast);
    tf.dispose([encoderTokens, decoderTokens, probe, ...expected.all, ...actual.all]);
    for (const model of [stock, fast]) for (const weight of model.weights) weight.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applied directly: returnState with an initialState, returnSequences off, batch 1', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = randomTensor([1, 4, 3], 15) as tf.Tensor3D;
      const h0 = randomTensor([1, 2], 16, 0.5);
      const layers = [false, true].map((fast) => {
        const layer = gru(fast)({
          units: 2,
          returnState: true,
          recurrentActivation: 'sigmoid',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          recurrentInitializer: tfl.initializers.orthogonal({ seed: 2 }),
        });
        layer.apply(tfl.input({ shape: [4, 3] }));
        return layer;
      });
      const [expected, actual] = layers.map((layer) => layer.apply(x, { initialState: [h0] }) as tf.Tensor[]);
      expect(actual!.map((t) => t.shape)).toEqual([
        [1, 2],
        [1, 2],
      ]);
      actual!.forEach((t, i) => expectClose(t, expected![i]!, `output ${i}`));
      layers.forEach((layer) => layer.dispose());
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each<[string, Partial<GRULayerArgs>]>([
    ['goBackwards', { goBackwards: true }],
    ['a relu activation', { activation: 'relu' }],
    ['dropout in the cell', { dropout: 0.3, recurrentDropout: 0.2 }],
  ])('runs the stock code with %s', (_, config) => {
    const before = tf.memory().numTensors;
    const x = randomTensor([2, 5, 3], 17);
    const layers = [false, true].map((fast) => {
      const layer = gru(fast)({
        units: 3,
        returnSequences: true,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        recurrentInitializer: tfl.initializers.orthogonal({ seed: 2 }),
        ...config,
      });
      layer.apply(tfl.input({ shape: [5, 3] }));
      return layer;
    });
    const stockCall = stockGruCall();
    // Inference: cell dropout is off, so the stock and fast layers agree here too.
    const [expected, actual] = layers.map((layer) => layer.apply(x) as tf.Tensor);
    expect(stockCall).toHaveBeenCalledTimes(2);
    expectClose(actual!, expected!, 'outputs');
    tf.dispose([x, expected!, actual!]);
    // The stock GRU keeps its last dropout masks until its next call; dispose() leaves them.
    const cells = layers.map((layer) => (layer as unknown as { cell: { dropoutMask: tf.Tensor[] | null; recurrentDropoutMask: tf.Tensor[] | null } }).cell);
    tf.dispose(cells.flatMap((cell) => [...(cell.dropoutMask ?? []), ...(cell.recurrentDropoutMask ?? [])]));
    layers.forEach((layer) => layer.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it("saves and loads through the project IO, and a stock GRU's weights and model.json load into it and back", async () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([4, 9, 2], 18);
    const fast = buildGruNetwork(true);
    const io = memoryArtifacts();
    await saveLayersModel(fast, io);
    const json = new TextDecoder().decode(await io.read('model.json'));
    expect(json).toContain('"class_name":"FastGRU"');
    const loaded = await loadLayersModel(io);
    expect(loaded.layers[0]!.getClassName()).toBe('FastGRU');
    tf.tidy(() => expectClose(loaded.predict(x) as tf.Tensor, fast.predict(x) as tf.Tensor, 'loaded'));

    const stock = buildGruNetwork(false);
    stock.setWeights(fast.getWeights());
    tf.tidy(() => expectClose(stock.predict(x) as tf.Tensor, fast.predict(x) as tf.Tensor, 'stock with fast weights'));
    const fastAgain = buildGruNetwork(true);
    fastAgain.setWeights(stock.getWeights());
    tf.tidy(() => expectClose(fastAgain.predict(x) as tf.Tensor, stock.predict(x) as tf.Tensor, 'fast with stock weights'));

    // The artifacts differ only in the class name: renamed, the same files load as stock GRUs.
    const asStock = memoryArtifacts(new Map(io.files));
    asStock.files.set('model.json', new TextEncoder().encode(json.replaceAll('"class_name":"FastGRU"', '"class_name":"GRU"')));
    const loadedStock = await loadLayersModel(asStock);
    expect(loadedStock.layers[0]!.getClassName()).toBe('GRU');
    tf.tidy(() => expectClose(loadedStock.predict(x) as tf.Tensor, fast.predict(x) as tf.Tensor, 'loaded as stock'));
    tf.dispose(x);
    for (const model of [fast, stock, fastAgain]) model.optimizer.dispose();
    [fast, loaded, stock, fastAgain, loadedStock].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
