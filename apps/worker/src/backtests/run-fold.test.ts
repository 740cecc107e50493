import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backtest, generateSeasonalSeries, initBackend, naive, rollingOrigins } from '@mlq/models';
import { planBacktestFolds, type BacktestFoldPayload } from '@mlq/jobs';
import { forecastBaseline, runBacktestFold } from './run-fold.ts';

beforeAll(() => initBackend('auto'));

const closes = generateSeasonalSeries({ length: 160, period: 7, amplitude: 20, noise: 2, trend: 0.3, level: 500, seed: 5 });
const dates = closes.map((_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
const tinyLstm = { window: 8, units1: 4, units2: 4, epochs: 3, batchSize: 32, dropout: 0 };

const foldOf = (architecture: 'lstm' | 'linear', trainEnd: number, extra: Partial<BacktestFoldPayload> = {}): BacktestFoldPayload => ({
  dataset: 'd',
  series: 's',
  architecture,
  horizon: 5,
  fold: { index: 0, trainEnd, testEnd: trainEnd + 5 },
  folds: 1,
  seasonalPeriod: 7,
  ...extra,
});

describe('backtest folds', () => {
  it('are placed where the model library places rolling origins', () => {
    for (const options of [
      { folds: 5, horizon: 10, step: 10, minTrain: 70 },
      { folds: 3, horizon: 7, step: 2, minTrain: 12 },
    ]) {
      const library = rollingOrigins(160, options).map(({ index, trainEnd, testEnd }) => ({ index, trainEnd, testEnd }));
      expect(planBacktestFolds(160, options)).toEqual(library);
    }
  });

  it.each(['linear', 'lstm'] as const)('(%s) never see a point after their origin: a poisoned future changes the scores, not a forecast; no tensor left', async (architecture) => {
    const baseline = tf.memory().numTensors;
    const spec = foldOf(architecture, 120, architecture === 'lstm' ? { params: tinyLstm, seed: 4 } : {});
    const poisoned = closes.map((close, i) => (i >= 120 ? -close * 50 : close));
    const clean = await runBacktestFold(closes, dates, spec);
    const dirty = await runBacktestFold(poisoned, dates, spec);
    expect(dirty.model.forecast).toEqual(clean.model.forecast);
    for (const name of ['naive', 'seasonalNaive', 'drift'] as const) expect(dirty.baselines[name]!.forecast).toEqual(clean.baselines[name]!.forecast);
    expect(dirty.actual).not.toEqual(clean.actual);
    expect(dirty.model.scores.mae).toBeGreaterThan(clean.model.scores.mae);
    expect(clean).toMatchObject({ index: 0, trainEnd: 120, testEnd: 125, origin: dates[119], dates: dates.slice(120, 125), actual: closes.slice(120, 125) });
    expect(clean.model.label).toBe(architecture);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('score the naive baseline as the model library backtests it, with a 10–90% band around it', async () => {
    const result = await runBacktestFold(closes, dates, foldOf('linear', 150));
    const library = backtest(closes.slice(0, 155), naive(), { folds: 1, horizon: 5 }).folds[0]!;
    expect(result.baselines.naive.forecast).toEqual(library.forecast);
    expect(result.baselines.naive.scores).toEqual(library.scores);
    const { intervals } = result.baselines.naive;
    expect(intervals!.quantiles).toEqual([0.1, 0.5, 0.9]);
    expect(intervals!.lower.every((low, j) => low < intervals!.upper[j]!)).toBe(true);
    expect(result.baselines.seasonalNaive!.label).toBe('seasonalNaive(7)');
    expect(result.model.intervals).toBeNull();
  });

  it('leave a baseline out when the training part is too short for it, and its band when it cannot be calibrated', () => {
    expect(forecastBaseline(naive(), [3], [4, 5])).toMatchObject({ label: 'naive', forecast: [3, 3], intervals: null, scores: { mae: 1.5, mase: null } });
    expect(forecastBaseline(naive(), [1, 2, 3], [4, 5])!.intervals).not.toBeNull();
    const seasonal = runBacktestFold(closes, dates, foldOf('linear', 10, { seasonalPeriod: 30, holdout: 1 }));
    return expect(seasonal).resolves.toMatchObject({ baselines: { seasonalNaive: null } });
  });

  it('refuse a fold the series does not hold', async () => {
    await expect(runBacktestFold(closes.slice(0, 100), dates, foldOf('linear', 120))).rejects.toThrow(/does not fit the series of 100 points/);
  });
});
