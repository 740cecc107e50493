import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import { fitPriceScaler } from './data.ts';
import { intervalsOf, requiredErrors } from './evaluation.ts';
import { buildPriceLstm } from './model.ts';
import { forecastRecursive, forecastRecursiveFromEach } from './predict.ts';
import { evaluateOnHoldout } from './holdout-evaluation.ts';
import { loadPriceModel } from './price-model.ts';
import { trainPriceModel } from './train.ts';

beforeAll(() => initBackend('auto'));

const series = generateSeasonalSeries({ length: 200, period: 12, amplitude: 10, noise: 1, level: 100, seed: 3 });
const tiny = { window: 12, units1: 8, units2: 8, epochs: 2, batchSize: 64, learningRate: 0.01 };

describe('evaluateOnHoldout: forecasts from every origin inside the held-out tail', () => {
  it('hands the model only the points before each origin, and scores it against naive on the same origins', async () => {
    const seen: number[] = [];
    const perfect = await evaluateOnHoldout(series, 30, {
      horizon: 10,
      quantiles: [0.1, 0.5, 0.9],
      scale: 'relative',
      forecastFrom: async (histories, steps) =>
        histories.map((history) => {
          seen.push(history.length);
          expect(history).toEqual(series.slice(0, history.length));
          return series.slice(history.length, history.length + steps); // an oracle: what followed
        }),
    });
    expect(seen).toEqual(Array.from({ length: 21 }, (_, k) => 170 + k));
    expect(perfect.skill).toMatchObject({ method: 'holdout', mase: 0, relativeToNaive: 0, beatsNaive: true, folds: 21, horizon: 10, step: 1 });
    expect(perfect.calibration!.offsets.flat().every((offset) => offset === 0)).toBe(true);

    const lastClose = await evaluateOnHoldout(series, 10, {
      horizon: 10,
      quantiles: [0.1, 0.5, 0.9],
      scale: 'relative',
      forecastFrom: async (histories, steps) => histories.map((history) => new Array<number>(steps).fill(history.at(-1)!)),
    });
    expect(lastClose.skill).toMatchObject({ relativeToNaive: 1, beatsNaive: false, folds: 1 });
    expect(lastClose.calibration).toBeNull();
    expect(lastClose.unavailable.intervals).toBe('1 evaluation origin: too few errors per step for quantiles 0.1–0.9 (9 needed)');
  });

  it('says when the model forecast something non-finite', async () => {
    const broken = await evaluateOnHoldout(series, 10, {
      horizon: 5,
      quantiles: [0.5],
      scale: 'absolute',
      forecastFrom: async (histories, steps) => histories.map(() => new Array(steps).fill(Number.NaN)),
    });
    expect(broken).toMatchObject({ skill: null, calibration: null, unavailable: { skill: expect.stringMatching(/non-finite/) } });
  });
});

describe('forecastRecursiveFromEach', () => {
  it('forecasts from many histories in one pass per step what forecastRecursive forecasts from each', async () => {
    const baseline = tf.memory().numTensors;
    const { model, optimizer } = buildPriceLstm({ ...tiny, validationSplit: 0, scaling: 'relative', dropout: 0 }, 4);
    const scaler = fitPriceScaler('relative', series.slice(0, 150));
    const histories = [150, 151, 157].map((end) => series.slice(0, end));
    const together = await forecastRecursiveFromEach(model, scaler, histories, 12, 5);
    for (const [i, history] of histories.entries()) {
      const alone = await forecastRecursive(model, scaler, history, 12, 5);
      together[i]!.forEach((value, j) => expect(value).toBeCloseTo(alone[j]!, 3));
    }
    expect(await forecastRecursiveFromEach(model, scaler, [], 12, 5)).toEqual([]);
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('intervals and skill of the linear and LSTM price models', () => {
  it('linear: a rolling-origin backtest of the line gives its skill and intervals', async () => {
    const model = await trainPriceModel(series, { kind: 'linear', horizon: 10 });
    expect(model.evaluation.skill).toMatchObject({ method: 'backtest', folds: 20, horizon: 10, step: 3 });
    const result = await model.forecastWithIntervals();
    expect(result.method).toBe('linear');
    expect(result.intervals!.map((band) => band.values)).toHaveLength(3);
    const loaded = await loadPriceModel(await saved(model));
    expect(await loaded.forecastWithIntervals()).toEqual(result);
  });

  it('lstm: skill from the holdout origins; intervals once the holdout holds enough of them', async () => {
    const baseline = tf.memory().numTensors;
    const plain = await trainPriceModel(series, { kind: 'lstm', params: tiny, horizon: 10, seed: 1 });
    const result = await plain.forecastWithIntervals();
    expect(result.skill).toMatchObject({ method: 'holdout', folds: 1, horizon: 10 });
    expect(result.intervals).toBeNull();
    expect(result.unavailable.intervals).toMatch(/^1 evaluation origin: .*9 needed/);
    plain.dispose();

    const model = await trainPriceModel(series, { kind: 'lstm', params: { ...tiny, quantiles: [0.1, 0.9] }, horizon: 10, holdout: 18, seed: 1 });
    expect(model.params).toMatchObject({ ...tiny, quantiles: [0.1, 0.9] });
    const banded = await model.forecastWithIntervals(6);
    expect(banded.skill).toMatchObject({ folds: 9, horizon: 10 });
    const [lower, upper] = banded.intervals!.map((band) => band.values);
    banded.forecast.forEach((_, j) => expect(lower![j]).toBeLessThanOrEqual(upper![j]!));
    const loaded = await loadPriceModel(await saved(model));
    expect(await loaded.forecastWithIntervals(6)).toEqual(banded);
    model.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(trainPriceModel(series, { kind: 'lstm', params: { ...tiny, period: 7 } })).rejects.toThrow(/period is not a price LSTM parameter/);
  });

  it('loads a model saved before evaluations existed, and says why it has no intervals or skill', async () => {
    const model = await trainPriceModel(series, { kind: 'linear' });
    const { statistical: _s, quantiles: _q, evaluation: _e, ...before } = model.metadata;
    const io = memoryArtifacts();
    await io.write('metadata.json', new TextEncoder().encode(JSON.stringify(before)));
    const loaded = await loadPriceModel(io);
    const result = await loaded.forecastWithIntervals();
    expect(result.forecast).toEqual(await model.forecast());
    expect(result).toMatchObject({ intervals: null, skill: null, unavailable: { intervals: expect.stringMatching(/saved before/), skill: expect.stringMatching(/train it again/) } });
  });
});

describe('intervalsOf and requiredErrors', () => {
  it('needs 1/q − 1 errors for the outermost quantile', () => {
    expect(requiredErrors([0.1, 0.5, 0.9])).toBe(9);
    expect(requiredErrors([0.05, 0.95])).toBe(19);
    expect(requiredErrors([0.25, 0.75])).toBe(3);
    expect(requiredErrors([0.5])).toBe(1);
  });

  it('refuses a forecast it cannot scale', () => {
    const calibration = { quantiles: [0.1, 0.9], scale: 'relative' as const, offsets: [[-0.1, 0.1]], sampleSizes: [20], guaranteed: [true], source: 'backtest' as const };
    expect(intervalsOf([100], calibration, undefined)).toEqual({
      intervals: [
        { quantile: 0.1, values: [90] },
        { quantile: 0.9, values: [110] },
      ],
    });
    expect(intervalsOf([-1], calibration, undefined).reason).toMatch(/not positive/);
    expect(intervalsOf([1], null, 'no evaluation').reason).toBe('no evaluation');
  });
});

async function saved(model: Awaited<ReturnType<typeof trainPriceModel>>) {
  const io = memoryArtifacts();
  await model.save(io);
  return io;
}
