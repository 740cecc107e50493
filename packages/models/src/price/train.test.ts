import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import { InvalidSeriesError, ModelConfigError, NotEnoughDataError, TrainingCancelledError } from '../errors.ts';
import { priceLstmDefaults, validatePriceParams } from './config.ts';
import { buildPriceLstm } from './model.ts';
import { trainPriceModel, type TrainProgress } from './train.ts';

beforeAll(() => initBackend('auto'));

const series = generateSeasonalSeries({ length: 300, period: 12, amplitude: 10, noise: 1, level: 100, seed: 3 });
// Small enough for CI on two cores (a few seconds each), big enough to learn a 12-point season.
const small = { window: 12, units1: 16, units2: 16, epochs: 25, batchSize: 64, learningRate: 0.01, dropout: 0 };

describe('price LSTM', () => {
  it.each(['auto', 'minmax'] as const)('learns a noisy seasonal series (scaling %s): holdout RMSE ≤ 0.7 × naive; no tensor left', async (scaling) => {
    const baseline = tf.memory().numTensors;
    const progress: TrainProgress[] = [];
    const model = await trainPriceModel(series, { kind: 'lstm', params: { ...small, scaling }, horizon: 12, seed: 1, onEpochEnd: (p) => void progress.push(p) });
    expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(progress.every((p) => p.epochs === 25 && Number.isFinite(p.loss) && Number.isFinite(p.valLoss))).toBe(true);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);

    const { model: lstm, naive, multiStep } = model.metrics;
    expect(lstm.rmse).toBeLessThan(0.7 * naive.rmse);
    expect(multiStep.model.rmse).toBeLessThan(0.7 * multiStep.naive.rmse);
    expect(model.metadata.params!.scaling).toBe(scaling === 'auto' ? 'relative' : 'minmax');
    const forecast = await model.forecast();
    expect(forecast).toHaveLength(12);
    expect(forecast.every((v) => v > 80 && v < 120)).toBe(true);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('learns as well with each batch split across 2 threads; no tensor left', async () => {
    const baseline = tf.memory().numTensors;
    const progress: TrainProgress[] = [];
    const params = { ...small, batchSize: 128 };
    const model = await trainPriceModel(series, { kind: 'lstm', params, horizon: 12, seed: 1, threads: 2, onEpochEnd: (p) => void progress.push(p) });
    expect(progress).toHaveLength(25);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
    expect(model.metrics.model.rmse).toBeLessThan(0.7 * model.metrics.naive.rmse);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('trains the same model from the same seed, and another from another seed', async () => {
    const train = (seed: number) => trainPriceModel(series.slice(0, 150), { kind: 'lstm', params: { ...small, epochs: 3 }, horizon: 6, seed });
    const [a, b, c] = [await train(7), await train(7), await train(8)];
    expect(await b.forecast()).toEqual(await a.forecast());
    expect(b.metrics).toEqual(a.metrics);
    expect(await c.forecast()).not.toEqual(await a.forecast());
    for (const model of [a, b, c]) model.dispose();
  });

  it('fits the scaler on the training part only, never on the holdout', async () => {
    const closes = [...series.slice(0, 100), 500, 1]; // the holdout holds the series' max and min
    const model = await trainPriceModel(closes, { kind: 'lstm', params: { ...small, epochs: 1, scaling: 'minmax' }, holdout: 2 });
    expect(model.metadata.scaler).toEqual({ kind: 'minmax', min: Math.min(...series.slice(0, 100)), max: Math.max(...series.slice(0, 100)) });
    expect(model.metadata.trainedPoints).toBe(100);
    expect(model.metadata.historyTail).toEqual(closes.slice(-12));
    model.dispose();
  });

  it('stops at the next batch when its signal aborts, disposing everything', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    let epochs = 0;
    const run = trainPriceModel(series, {
      kind: 'lstm',
      params: { ...small, epochs: 1000, batchSize: 16 },
      signal: controller.signal,
      onEpochEnd: () => {
        epochs++;
        controller.abort('user');
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(epochs).toBe(1);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('stops mid-epoch: the event loop runs between batches', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    // Fires from the event loop while fit runs; it could not if a whole epoch blocked the loop.
    const timer = setTimeout(() => controller.abort(new Error('timeout')), 300);
    const started = Date.now();
    let epochs = 0;
    const run = trainPriceModel(series, {
      kind: 'lstm',
      params: { ...small, epochs: 1000, batchSize: 1, validationSplit: 0 },
      signal: controller.signal,
      onEpochEnd: () => void epochs++,
    });
    await expect(run).rejects.toMatchObject({ name: 'TrainingCancelledError', reason: new Error('timeout') });
    clearTimeout(timer);
    expect(epochs).toBe(0); // one epoch is ~280 batches of 1
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('does not start when its signal is already aborted', async () => {
    const baseline = tf.memory().numTensors;
    await expect(trainPriceModel(series, { kind: 'lstm', params: small, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingCancelledError);
    await expect(trainPriceModel(series, { kind: 'linear', signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('initialises weights deterministically from a seed', () => {
    const params = validatePriceParams(small);
    const weightsOf = (seed: number) => {
      const { model, optimizer } = buildPriceLstm(params, seed);
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      optimizer.dispose();
      return values;
    };
    const seven = weightsOf(7);
    expect(weightsOf(7)).toEqual(seven);
    expect(weightsOf(8)).not.toEqual(seven);
    // LSTM bias [i, f, c, o] × units: forget gate starts at 1 (Keras' unit_forget_bias).
    expect(seven[2]).toEqual([...Array(16).fill(0), ...Array(16).fill(1), ...Array(32).fill(0)]);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(trainPriceModel(series.slice(0, 40), { kind: 'lstm' })).rejects.toThrow(new NotEnoughDataError(40, 70, 'window 50 + holdout 10 + 10 training windows'));
    await expect(trainPriceModel(series.slice(0, 5), { kind: 'linear' })).rejects.toThrow('series has 5 points; holdout 10 + 2 training points needs at least 12');
    await expect(trainPriceModel([...series.slice(0, 100), Number.NaN], { kind: 'lstm' })).rejects.toThrow(
      new InvalidSeriesError('series value at index 100 is NaN, not a finite number', 100),
    );
    await expect(trainPriceModel([1, Infinity, 3], { kind: 'linear' })).rejects.toMatchObject({ name: 'InvalidSeriesError', index: 1 });
    await expect(trainPriceModel(series, { kind: 'lstm', params: { window: 0 } })).rejects.toThrow(new ModelConfigError('window', 'must be >= 2, got 0'));
    await expect(trainPriceModel(series, { kind: 'lstm', params: { window: 400 } })).rejects.toThrow('window must be <= 365, got 400');
    await expect(trainPriceModel(series, { kind: 'lstm', params: { epochs: 1.5 } })).rejects.toThrow(/epochs must be an integer/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { learningRate: 0 } })).rejects.toThrow(/learningRate must be > 0/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { dropout: Number.NaN } })).rejects.toThrow(/dropout must be a finite number/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { scaling: 'zscore' as 'auto' } })).rejects.toThrow(/scaling must be one of auto, relative, minmax/);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { units: 5 } as never })).rejects.toThrow(/units is not a price LSTM parameter/);
    await expect(trainPriceModel(series, { kind: 'linear', horizon: 0 })).rejects.toThrow(/horizon must be >= 1/);
    await expect(trainPriceModel(series, { kind: 'linear', holdout: 366 })).rejects.toThrow(/holdout must be <= 365/);
    await expect(trainPriceModel([-1, ...series], { kind: 'lstm', params: { scaling: 'relative' } })).rejects.toThrow(/relative scaling needs positive closes/);
    expect(() => validatePriceParams({ batchSize: 5000 })).toThrow(expect.objectContaining({ name: 'ModelConfigError', field: 'batchSize' }));
    expect(validatePriceParams({})).toEqual(priceLstmDefaults);
  });
});

describe('linear baseline model', () => {
  it('fits the training part, scores the holdout and forecasts along the line through the series', async () => {
    const line = Array.from({ length: 50 }, (_, t) => 10 + 0.5 * t);
    const model = await trainPriceModel(line, { kind: 'linear', horizon: 3 });
    expect(model.kind).toBe('linear');
    expect(model.metadata.holdout).toBe(3);
    expect(await model.forecast()).toEqual([35, 35.5, 36].map((v) => expect.closeTo(v, 8)));
    expect(model.metrics.model.rmse).toBeCloseTo(0, 8);
    expect(model.metrics.linear.rmse).toBeCloseTo(0, 8);
    expect(model.metrics.naive.rmse).toBeCloseTo(0.5, 8);
    expect(model.metrics.multiStep.naive.mae).toBeCloseTo((0.5 + 1 + 1.5) / 3, 8);
    expect(await model.forecast(2, [1, 2, 3])).toEqual([4, 5].map((v) => expect.closeTo(v, 8)));
    await expect(model.forecast(2, [1])).rejects.toThrow(NotEnoughDataError);
  });
});
