import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { InvalidSeriesError, ModelConfigError, ModelError, NotEnoughDataError, TrainingCancelledError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import type { PriceLstmParams } from './config.ts';
import { setPriceInference, type PriceInference } from './inference.ts';
import { forecastRecursiveBatch, type ForecastOutcome, type NextValuesFunction } from './predict.ts';
import { heldKernelOf, loadPriceModel, PriceModel, type PriceForecastRequest } from './price-model.ts';
import { trainPriceModel } from './train.ts';

beforeAll(() => initBackend('auto'));
afterEach(() => setPriceInference('auto'));

const positive = generateSeasonalSeries({ length: 200, period: 12, amplitude: 10, noise: 1, level: 100, seed: 3 });
// Crosses zero: `auto` scaling resolves to minmax.
const signed = generateSeasonalSeries({ length: 200, period: 9, amplitude: 30, noise: 2, level: 5, seed: 4 });

/** Trained for a few gradient steps from seeded random weights: not the initial weights, not converged. */
const tinyParams: Partial<PriceLstmParams> = { window: 12, units1: 5, units2: 7, epochs: 2, batchSize: 64, learningRate: 0.01 };
/** The talk's sizes (units 50 → 100, window 50), a couple of steps. */
const talkParams: Partial<PriceLstmParams> = { window: 50, units1: 50, units2: 100, epochs: 1, batchSize: 64 };

async function forecastsWith<T>(inference: PriceInference, run: () => Promise<T>): Promise<T> {
  setPriceInference(inference);
  try {
    return await run();
  } finally {
    setPriceInference('auto');
  }
}

const valuesOf = (outcomes: ForecastOutcome[]) =>
  outcomes.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  });

/** Every value within `tolerance` of the expected one, relative to it. */
function expectRelativelyClose(actual: number[][], expected: number[][], what: string, tolerance = 1e-5): void {
  expect(
    actual.map((f) => f.length),
    what,
  ).toEqual(expected.map((f) => f.length));
  let worst = 0;
  actual.forEach((forecast, i) => forecast.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - expected[i]![j]!) / Math.abs(expected[i]![j]!)))));
  expect(worst, `${what}: worst relative difference`).toBeLessThanOrEqual(tolerance);
}

/** Seven requests: default and explicit histories of several lengths, horizons from 1 to 12. */
function mixedRequests(series: readonly number[]): PriceForecastRequest[] {
  return [
    { horizon: 5 },
    { horizon: 1, history: series.slice(0, 60) },
    { horizon: 12, history: series.slice(20, 140) },
    { history: series.slice(-80) },
    { horizon: 3, history: series.slice(5, 70) },
    { horizon: 12, history: series.slice(100, 190) },
    { horizon: 7, history: series.slice(0, 120) },
  ];
}

/** An ArtifactIO over a directory: the model goes through real files. */
function directoryArtifacts(directory: string): ArtifactIO {
  return {
    write: (name, data) => writeFile(path.join(directory, name), data),
    read: async (name) => new Uint8Array(await readFile(path.join(directory, name))),
  };
}

describe('PriceModel forecasts with the LSTM kernel', () => {
  const models: PriceModel[] = [];
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'mlq-price-kernel-'));
  });
  afterAll(async () => {
    for (const model of models) model.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  const cases = [
    { name: 'tiny, relative scaling', series: positive, params: tinyParams, scaling: 'relative' },
    { name: 'tiny, minmax scaling', series: signed, params: tinyParams, scaling: 'minmax' },
    { name: "the talk's sizes, relative scaling", series: positive, params: talkParams, scaling: 'relative' },
    { name: "the talk's sizes, minmax scaling", series: positive, params: { ...talkParams, scaling: 'minmax' }, scaling: 'minmax' },
  ] as const;

  for (const c of cases) {
    it(`equals the tfjs network's forecasts within 1e-5, alone and in a batch of 7: ${c.name}`, async () => {
      const model = await trainPriceModel(c.series, { kind: 'lstm', params: c.params, seed: 7 });
      models.push(model);
      expect(model.metadata.scaler!.kind).toBe(c.scaling);
      const requests = mixedRequests(c.series);

      const tfjs = await forecastsWith('tfjs', async () => {
        expect(model.inference.path).toBe('tfjs');
        return { alone: await model.forecast(10), batch: valuesOf(await model.forecastBatch(requests)) };
      });
      const kernel = await forecastsWith('kernel', async () => {
        expect(model.inference.path).toBe('kernel');
        return {
          alone: await model.forecast(10),
          batch: valuesOf(await model.forecastBatch(requests)),
          eachAlone: await Promise.all(requests.map((r) => model.forecast(r.horizon, r.history))),
        };
      });
      expect(model.inference.kernelBytes).toBeGreaterThan(0);
      expectRelativelyClose([kernel.alone], [tfjs.alone], 'batch 1');
      expectRelativelyClose(kernel.batch, tfjs.batch, 'batch 7');
      // A window's result does not depend on the others in its pass: batched is single, exactly.
      expect(kernel.batch).toEqual(kernel.eachAlone);
      expect(kernel.batch.map((f) => f.length)).toEqual([5, 1, 12, 10, 3, 12, 7]);
    });
  }

  it('forecasts from a model saved to disk and loaded as the tfjs network does, and as the model it was saved from', async () => {
    const model = await trainPriceModel(positive, { kind: 'lstm', params: talkParams, seed: 11 });
    models.push(model);
    await model.save(directoryArtifacts(directory));
    const loaded = await loadPriceModel(directoryArtifacts(directory));
    models.push(loaded);
    const requests = mixedRequests(positive);
    const original = await forecastsWith('tfjs', async () => valuesOf(await model.forecastBatch(requests)));
    const tfjs = await forecastsWith('tfjs', async () => valuesOf(await loaded.forecastBatch(requests)));
    const kernel = await forecastsWith('kernel', async () => valuesOf(await loaded.forecastBatch(requests)));
    expect(tfjs).toEqual(original);
    expectRelativelyClose(kernel, tfjs, 'loaded, batch 7');
    expectRelativelyClose([await forecastsWith('kernel', () => loaded.forecast())], [await forecastsWith('tfjs', () => loaded.forecast())], 'loaded, batch 1');
  });

  it('answers each request of a batch alone: bad ones are rejected with the errors forecast throws, the others forecast', async () => {
    const model = await trainPriceModel(positive, { kind: 'lstm', params: { ...tinyParams, epochs: 1 }, seed: 2 });
    models.push(model);
    const aborted = new AbortController();
    aborted.abort('client went away');
    const good = { horizon: 4, history: positive.slice(0, 40) };
    const outcomes = await model.forecastBatch([
      good,
      { horizon: 0 },
      { horizon: 2.5 },
      { history: [...positive.slice(0, 20), Number.NaN] },
      { history: positive.slice(0, 11) },
      { history: [...positive.slice(0, 20), 0] },
      { horizon: 2, signal: aborted.signal },
      {},
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : undefined));
    expect(reasons[1]).toEqual(new ModelConfigError('horizon', 'must be >= 1, got 0'));
    expect(reasons[2]).toBeInstanceOf(ModelConfigError);
    expect(reasons[3]).toEqual(new InvalidSeriesError('history value at index 20 is NaN, not a finite number', 20));
    expect(reasons[4]).toEqual(new NotEnoughDataError(11, 12, 'a forecast from history with window 12'));
    expect(reasons[5]?.message).toMatch(/history value at index 11 is 0; this model uses relative scaling/);
    expect(reasons[6]).toBeInstanceOf(TrainingCancelledError);
    // The same requests one by one: the same results, and the same errors thrown.
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: await model.forecast(good.horizon, good.history) });
    expect(outcomes[7]).toEqual({ status: 'fulfilled', value: await model.forecast() });
    await expect(model.forecast(0)).rejects.toEqual(reasons[1]);
    await expect(model.forecast(2, undefined, { signal: aborted.signal })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(await model.forecastBatch([])).toEqual([]);
  });

  it('forecasts with tfjs where the kernel does not cover the network, saying why', async () => {
    const trained = await trainPriceModel(positive, { kind: 'lstm', params: { ...tinyParams, epochs: 1 }, seed: 3 });
    const gru = tfl.sequential({ layers: [tfl.layers.gru({ units: 4, inputShape: [12, 1] }), tfl.layers.dense({ units: 1 })] });
    const model = new PriceModel(trained.metadata, gru);
    trained.dispose();
    models.push(model);
    await forecastsWith('kernel', async () => {
      expect(model.inference).toEqual({ path: 'tfjs', kernelBytes: 0, unsupported: 'layers GRU, Dense (LSTM layers, Dropout, one Dense)' });
      const kernelAsked = await model.forecast(4);
      setPriceInference('tfjs');
      expect(kernelAsked).toEqual(await model.forecast(4));
    });
  });

  it('batches linear models too, request by request', async () => {
    const model = await trainPriceModel(positive, { kind: 'linear', horizon: 5 });
    const outcomes = await model.forecastBatch([{}, { horizon: 3, history: [5, 6, 7] }, { history: [1] }, { horizon: 400 }]);
    expect(outcomes.slice(0, 2)).toEqual([
      { status: 'fulfilled', value: await model.forecast() },
      { status: 'fulfilled', value: await model.forecast(3, [5, 6, 7]) },
    ]);
    expect(outcomes[2]).toEqual({ status: 'rejected', reason: new NotEnoughDataError(1, 2, 'a linear forecast from history') });
    expect(outcomes[3]).toEqual({ status: 'rejected', reason: new ModelConfigError('horizon', 'must be <= 365, got 400') });
    expect(model.inference).toEqual({ path: 'linear', kernelBytes: 0 });
  });

  it('leaves no tensor behind after 1,000 forecasts, and frees the kernel with the model', async () => {
    const baseline = tf.memory().numTensors;
    const model = await trainPriceModel(positive, { kind: 'lstm', params: { ...tinyParams, epochs: 1 }, seed: 5 });
    const withModel = tf.memory().numTensors;
    expect(withModel).toBeGreaterThan(baseline);
    const requests = mixedRequests(positive).map((r) => ({ ...r, horizon: Math.min(r.horizon ?? 3, 3) }));
    await forecastsWith('kernel', async () => {
      for (let i = 0; i < 500; i++) expect(await model.forecast(3)).toHaveLength(3);
      for (let i = 0; i < 500; i++) expect(valuesOf(await model.forecastBatch(requests.slice(0, 2)))).toHaveLength(2);
    });
    // The tfjs path, fewer times (it is the slow one).
    await forecastsWith('tfjs', async () => {
      for (let i = 0; i < 20; i++) expect(valuesOf(await model.forecastBatch(requests))).toHaveLength(7);
    });
    expect(tf.memory().numTensors).toBe(withModel);
    const kernel = heldKernelOf(model)!;
    expect(kernel.byteLength).toBeGreaterThan(0);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    expect(heldKernelOf(model)).toBeNull();
    expect(kernel.byteLength).toBe(0);
    expect(model.inference).toEqual({ path: 'disposed', kernelBytes: 0 });
    await expect(model.forecastBatch([{}])).rejects.toThrow(new ModelError('this price model was disposed'));
  });
});

describe('forecastRecursiveBatch', () => {
  /** A toy network: the mean of the window's encoded values (minmax), counting the passes and windows it sees. */
  function meanNetwork(onPass?: (pass: number) => void) {
    const passes: number[] = [];
    const next: NextValuesFunction = (windows, count) => {
      passes.push(count);
      onPass?.(passes.length);
      const window = windows.length / count;
      return Array.from({ length: count }, (_, row) => windows.subarray(row * window, (row + 1) * window).reduce((s, v) => s + v, 0) / window);
    };
    return { next, passes };
  }
  const scaler = { kind: 'minmax', min: 0, max: 10 } as const;
  const alone = async (history: number[], horizon: number) => {
    const [outcome] = await forecastRecursiveBatch(meanNetwork().next, scaler, [{ history, horizon }], 3);
    return outcome;
  };

  it('runs every window still going in one pass per step, each leaving after its horizon', async () => {
    const { next, passes } = meanNetwork();
    const requests = [
      { history: [1, 2, 3], horizon: 4 },
      { history: [9, 9, 1, 2, 6], horizon: 1 },
      { history: [4, 4, 4], horizon: 2 },
    ];
    const outcomes = await forecastRecursiveBatch(next, scaler, requests, 3);
    expect(passes).toEqual([3, 2, 1, 1]);
    for (const [i, request] of requests.entries()) expect(outcomes[i]).toEqual(await alone(request.history, request.horizon));
    // (1 + 2 + 3) / 3 = 2, then (2 + 3 + 2) / 3, …: the mean of the last three, decoded from minmax.
    expect((outcomes[0] as { value: number[] }).value[0]).toBeCloseTo(2, 5);
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: [expect.closeTo(4, 5), expect.closeTo(4, 5)] });
  });

  it('splits a step into passes of at most `windowsPerPass` windows, with the same results', async () => {
    const { next, passes } = meanNetwork();
    const requests = Array.from({ length: 5 }, (_, i) => ({ history: [i, i + 1, i + 3], horizon: 2 }));
    const split = await forecastRecursiveBatch(next, scaler, requests, 3, { windowsPerPass: 2 });
    expect(passes).toEqual([2, 2, 1, 2, 2, 1]);
    expect(split).toEqual(await forecastRecursiveBatch(meanNetwork().next, scaler, requests, 3));
  });

  it('rejects a request whose signal aborts mid-forecast alone; the others finish as they would alone', async () => {
    const controller = new AbortController();
    const { next } = meanNetwork((pass) => pass === 2 && controller.abort('gone'));
    const outcomes = await forecastRecursiveBatch(
      next,
      scaler,
      [
        { history: [1, 2, 3], horizon: 5, signal: controller.signal },
        { history: [3, 2, 1], horizon: 5 },
      ],
      3,
    );
    expect(outcomes[0]!.status).toBe('rejected');
    expect((outcomes[0] as { reason: Error }).reason).toBeInstanceOf(TrainingCancelledError);
    expect(outcomes[1]).toEqual(await alone([3, 2, 1], 5));
  });

  it('rejects every unfinished request when the model goes away or the network fails; finished ones keep their result', async () => {
    let steps = 0;
    const assertAlive = () => {
      if (++steps === 3) throw new ModelError('this price model was disposed during a forecast');
    };
    const requests = [
      { history: [1, 2, 3], horizon: 1 },
      { history: [1, 2, 3], horizon: 9 },
      { history: [5, 5, 5], horizon: 9 },
    ];
    const outcomes = await forecastRecursiveBatch(meanNetwork().next, scaler, requests, 3, { assertAlive });
    expect(outcomes[0]).toEqual(await alone([1, 2, 3], 1));
    expect(outcomes.slice(1)).toEqual([
      { status: 'rejected', reason: new ModelError('this price model was disposed during a forecast') },
      { status: 'rejected', reason: new ModelError('this price model was disposed during a forecast') },
    ]);
    const failing: NextValuesFunction = () => {
      throw new Error('backend lost');
    };
    expect(await forecastRecursiveBatch(failing, scaler, requests.slice(0, 2), 3)).toEqual([
      { status: 'rejected', reason: new Error('backend lost') },
      { status: 'rejected', reason: new Error('backend lost') },
    ]);
  });
});
