import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import { InvalidSeriesError, ModelConfigError, NotEnoughDataError, TrainingCancelledError } from '../errors.ts';
import { trainPriceModel } from './train.ts';
import { loadPriceModel } from './price-model.ts';

beforeAll(() => initBackend('auto'));

const series = generateSeasonalSeries({ length: 300, period: 12, amplitude: 10, noise: 1, level: 100, seed: 3 });
// Small enough for CI on two cores (a few seconds), big enough to learn a 12-point season.
const small = { window: 12, units1: 16, units2: 16, epochs: 25, batchSize: 64, learningRate: 0.01, dropout: 0 };

describe('price LSTM', () => {
  it('learns a noisy seasonal series: holdout RMSE clearly below the naive baseline', async () => {
    const progress: number[] = [];
    const model = await trainPriceModel(series, { kind: 'lstm', params: small, horizon: 12, seed: 1, onEpochEnd: (p) => void progress.push(p.epoch) });
    expect(progress).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const { model: lstm, naive } = model.metrics;
    expect(lstm.rmse).toBeLessThan(0.7 * naive.rmse);
    const forecast = model.forecast();
    expect(forecast).toHaveLength(12);
    expect(forecast.every((v) => v > 80 && v < 120)).toBe(true);
    model.dispose();
  });

  it('saves and loads through ArtifactIO and predicts identically; no tensor left behind', async () => {
    const baseline = tf.memory().numTensors;
    const model = await trainPriceModel(series, { kind: 'lstm', params: { ...small, epochs: 2 }, seed: 2 });
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()].sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const loaded = await loadPriceModel(io);
    expect(loaded.forecast(7)).toEqual(model.forecast(7));
    const history = series.slice(0, 50);
    expect(loaded.forecast(3, history)).toEqual(model.forecast(3, history));
    expect(loaded.metrics).toEqual(model.metrics);
    expect(loaded.byteSize()).toBe(model.byteSize());

    for (let i = 0; i < 100; i++) loaded.forecast(10);
    model.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('stops at the next batch when its signal aborts, disposing everything', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const run = trainPriceModel(series, {
      kind: 'lstm',
      params: { ...small, epochs: 1000, batchSize: 16 },
      signal: controller.signal,
      onEpochEnd: () => controller.abort('user'),
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(trainPriceModel(series.slice(0, 40), { kind: 'lstm' })).rejects.toThrow(
      new NotEnoughDataError(40, 70, 'window 50 + holdout 10 + 10 training windows'),
    );
    await expect(trainPriceModel([...series.slice(0, 100), Number.NaN], { kind: 'lstm' })).rejects.toBeInstanceOf(InvalidSeriesError);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { window: 0 } })).rejects.toThrow(new ModelConfigError('window', 'must be >= 2, got 0'));
    await expect(trainPriceModel(series, { kind: 'lstm', params: { epochs: 1.5 } })).rejects.toThrow(/epochs must be an integer/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { learningRate: 0 } })).rejects.toThrow(/learningRate must be > 0/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { units: 5 } as never })).rejects.toThrow(/units is not a price LSTM parameter/);
    await expect(trainPriceModel(series, { kind: 'linear', horizon: 0 })).rejects.toThrow(/horizon must be >= 1/);
  });
});

describe('linear baseline model', () => {
  it('forecasts along the line through the series and round-trips through save/load', async () => {
    const line = Array.from({ length: 50 }, (_, t) => 10 + 0.5 * t);
    const model = await trainPriceModel(line, { kind: 'linear', horizon: 3 });
    expect(model.forecast()).toEqual([35, 35.5, 36].map((v) => expect.closeTo(v, 8)));
    expect(model.metrics.linear.rmse).toBeCloseTo(0, 8);
    expect(model.metrics.naive.rmse).toBeCloseTo(0.5, 8);
    expect(model.forecast(2, [1, 2, 3])).toEqual([4, 5].map((v) => expect.closeTo(v, 8)));
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()]).toEqual(['metadata.json']);
    expect((await loadPriceModel(io)).forecast()).toEqual(model.forecast());
  });
});
