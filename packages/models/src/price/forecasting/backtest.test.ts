import { describe, expect, it } from 'vitest';
import { TrainingCancelledError } from '../../errors.ts';
import { drift } from './drift.ts';
import { ets } from './ets.ts';
import type { Forecaster } from './forecaster.ts';
import { naive, seasonalNaive } from './naive.ts';
import { theta } from './theta.ts';
import { autoForecaster } from './auto.ts';
import { simulateEts } from './testing/simulate.ts';
import { backtest, backtestAsync } from './backtest.ts';
import { rollingOrigins } from './rolling-origin.ts';

const series = simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 150, seed: 11 });
const options = { folds: 5, horizon: 10, step: 7 };

describe('backtest', () => {
  it('no look-ahead: garbage after an origin leaves that fold’s forecast (and every earlier one) unchanged', () => {
    const forecasters: Forecaster[] = [naive(), seasonalNaive(7), drift(), ets(), theta({ period: 7 }), autoForecaster({ horizon: 10, folds: 5 })];
    const folds = rollingOrigins(series.length, options);
    for (const forecaster of forecasters) {
      const clean = backtest(series, forecaster, options).folds.map((fold) => fold.forecast);
      for (const fold of folds) {
        // Finite garbage, so the later folds (which train on it) still run.
        const poisoned = series.map((value, t) => (t >= fold.trainEnd ? 1e9 * Math.sin(t) : value));
        const forecasts = backtest(poisoned, forecaster, options).folds.map((f) => f.forecast);
        expect(forecasts.slice(0, fold.index + 1)).toEqual(clean.slice(0, fold.index + 1));
        // …and the poison did reach the folds that train on it (the test can see a leak).
        if (fold.index < folds.length - 1) expect(forecasts[fold.index + 1]).not.toEqual(clean[fold.index + 1]);
      }
      // The future of the last origin missing altogether: same forecasts, only the scores are lost.
      const missing = series.map((value, t) => (t >= folds[folds.length - 1]!.trainEnd ? Number.NaN : value));
      const result = backtest(missing, forecaster, options);
      expect(result.folds.map((f) => f.forecast)).toEqual(clean);
      expect(result.folds[folds.length - 1]!.scores.mae).toBeNaN();
    }
  });

  it('scores each fold against its test window and keeps the errors by step', () => {
    const result = backtest(series, naive(), options);
    expect(result.folds).toHaveLength(5);
    result.folds.forEach((fold, i) => {
      expect(fold.actual).toEqual(series.slice(fold.testStart, fold.testEnd));
      expect(fold.forecast).toEqual(new Array(10).fill(series[fold.trainEnd - 1]));
      expect(fold.errors).toEqual(fold.actual.map((a, j) => a - fold.forecast[j]!));
      expect(result.residualsByStep.map((step) => step[i])).toEqual(fold.errors);
    });
    expect(result.residualsByStep).toHaveLength(10);
    const meanMae = result.folds.reduce((sum, fold) => sum + fold.scores.mae, 0) / 5;
    expect(result.mean.mae).toBeCloseTo(meanMae, 12);
    expect(result.forecaster).toBe('naive');
  });

  it('MASE of naive on a straight line is (h + 1)/2 in every fold', () => {
    const line = Array.from({ length: 60 }, (_, t) => 3 + 2 * t);
    const result = backtest(line, naive(), { folds: 4, horizon: 5 });
    for (const fold of result.folds) expect(fold.scores.mase).toBeCloseTo(3, 12);
    expect(backtest(line, naive(), { folds: 4, horizon: 1 }).mean.mase).toBeCloseTo(1, 12);
    expect(backtest(line, drift(), { folds: 4, horizon: 5 }).mean.mase).toBeCloseTo(0, 12);
  });

  it('scales MASE seasonally when given a period', () => {
    const result = backtest(series, naive(), { ...options, seasonalPeriod: 7 });
    const fold = result.folds[0]!;
    const train = series.slice(0, fold.trainEnd);
    let scale = 0;
    for (let t = 7; t < train.length; t++) scale += Math.abs(train[t]! - train[t - 7]!);
    expect(fold.scores.mase).toBeCloseTo(fold.scores.mae / (scale / (train.length - 7)), 12);
  });

  it('needs room for every fold with the forecaster’s minimum training length', () => {
    expect(() => backtest(series.slice(0, 40), ets(), { folds: 5, horizon: 10 })).toThrow(RangeError);
  });

  it('reports each fold; the async form yields and stops when aborted', async () => {
    const seen: number[] = [];
    const result = await backtestAsync(series, ets(), { ...options, onFold: (_, completed, total) => seen.push(completed * 10 + total) });
    expect(seen).toEqual([15, 25, 35, 45, 55]);
    expect(result.folds.map((f) => f.forecast)).toEqual(backtest(series, ets(), options).folds.map((f) => f.forecast));
    const controller = new AbortController();
    controller.abort();
    await expect(backtestAsync(series, naive(), { ...options, signal: controller.signal })).rejects.toBeInstanceOf(TrainingCancelledError);
  });
});
