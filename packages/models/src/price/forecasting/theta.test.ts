import { describe, expect, it } from 'vitest';
import { backtest } from './backtest.ts';
import { ets } from './ets.ts';
import type { EtsState, ThetaState } from './forecaster.ts';
import { fitTrendLine } from './linear-trend.ts';
import { restoreForecaster } from './restore.ts';
import { autocorrelations, isSeasonal, seasonalIndices } from './seasonal-decomposition.ts';
import { theta } from './theta.ts';
import { seededGaussian } from './testing/random.ts';
import { simulateEts } from './testing/simulate.ts';

const trending = simulateEts({ variant: 'holt', parameters: { alpha: 0.5, beta: 0.05, phi: 1 }, initial: { level: 100, trend: 0.5 }, sigma: 1, length: 200, seed: 4 });

describe('theta', () => {
  it('is SES plus half the least-squares slope as drift (Hyndman & Billah 2003)', () => {
    const model = theta().fit(trending);
    const state = model.toState() as ThetaState;
    // The same SES, fitted on its own, and the slope of lsfit(0:(n − 1), y).
    const ses = ets({ variant: 'simple' }).fit(trending).toState() as EtsState;
    expect(state.alpha).toBeCloseTo(ses.parameters.alpha, 10);
    const b = fitTrendLine(trending).slope;
    const n = trending.length;
    const a = state.alpha;
    const expected = [1, 2, 3, 4, 5].map((h) => ses.final.level + (b / 2) * (h - 1 + 1 / a - (1 - a) ** n / a));
    model.forecast(5).forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 8));
  });

  it('equals the original procedure: the mean of the extended regression line and SES on the θ = 2 line', () => {
    // Assimakopoulos & Nikolopoulos: Z = 2y − L with L = A + B·t (t = 1 … n) the regression line;
    // extrapolate L, smooth Z by SES (same α; started at 2ℓ₀ − L₁), average the two. Nothing here
    // uses the closed form: it is the decomposition the method was defined by.
    const state = theta().fit(trending).toState() as ThetaState;
    const n = trending.length;
    const line = fitTrendLine(trending, 1);
    const L = (t: number) => line.intercept + line.slope * t;
    let levelZ = 2 * state.initialLevel - L(1);
    trending.forEach((y, i) => (levelZ = state.alpha * (2 * y - L(i + 1)) + (1 - state.alpha) * levelZ));
    const original = [1, 2, 3, 4, 5, 6].map((h) => (L(n + h) + levelZ) / 2);
    const forecasts = restoreForecaster(state).forecast(6);
    forecasts.forEach((value, i) => expect(value).toBeCloseTo(original[i]!, 8));
  });

  it('with fixed α and ℓ₀: a hand-computed case', () => {
    // y = 1, 3, 2, 4; SES α = 0.5 from 1: ℓ = 1, 2, 2, 3; OLS slope on t = 0 … 3: 0.8
    // forecast h: 3 + 0.4·(h − 1 + (1 − 0.5⁴)/0.5) = 3 + 0.4·(h + 0.875): 3.75, 4.15
    const model = theta({ alpha: 0.5, initialLevel: 1 }).fit([1, 3, 2, 4]);
    expect(model.forecast(2).map((v) => Number(v.toFixed(12)))).toEqual([3.75, 4.15]);
  });

  it('saves and loads', () => {
    const model = theta().fit(trending);
    expect(restoreForecaster(JSON.parse(JSON.stringify(model.toState()))).forecast(7)).toEqual(model.forecast(7));
  });
});

describe('seasonal decomposition', () => {
  it('autocorrelations match R: acf(1:5) is 0.4 at lag 1 and −0.1 at lag 2', () => {
    const [r1, r2] = autocorrelations([1, 2, 3, 4, 5], 2);
    expect(r1).toBeCloseTo(0.4, 12);
    expect(r2).toBeCloseTo(-0.1, 12);
  });

  it('recovers additive indices exactly from a line plus a periodic pattern (odd and even period)', () => {
    for (const pattern of [
      [3, -1, -2],
      [2, -1, 0.5, -1.5],
    ]) {
      const period = pattern.length;
      const values = Array.from({ length: 10 * period + 2 }, (_, t) => 5 + 0.3 * t + pattern[t % period]!);
      seasonalIndices(values, period, 'additive').forEach((index, k) => expect(index).toBeCloseTo(pattern[k]!, 10));
    }
  });

  const weekly = [1.1, 1.2, 1.05, 0.95, 0.9, 0.85, 0.95];
  const seasonalSeries = (seed: number) => {
    const gaussian = seededGaussian(seed);
    return Array.from({ length: 280 }, (_, t) => (100 + 0.2 * t) * weekly[t % 7]! + 0.5 * gaussian());
  };

  it('finds weekly seasonality where there is some and none in white noise', () => {
    expect(isSeasonal(seasonalSeries(1), 7)).toBe(true);
    const gaussian = seededGaussian(2);
    expect(
      isSeasonal(
        Array.from({ length: 280 }, () => 100 + gaussian()),
        7,
      ),
    ).toBe(false);
    expect(isSeasonal(seasonalSeries(1).slice(0, 13), 7)).toBe(false); // under two periods: no test
  });

  it('theta with a period adjusts multiplicatively, recovers the pattern and forecasts better for it', () => {
    const series = seasonalSeries(3);
    const state = theta({ period: 7 }).fit(series).toState() as ThetaState;
    expect(state.seasonal?.type).toBe('multiplicative');
    const meanPattern = weekly.reduce((a, b) => a + b) / 7;
    state.seasonal!.indices.forEach((index, k) => expect(Math.abs(index - weekly[k]! / meanPattern)).toBeLessThan(0.01));
    const options = { folds: 10, horizon: 7, step: 7 };
    const seasonal = backtest(series, theta({ period: 7 }), options).mean.mase!;
    const plain = backtest(series, theta(), options).mean.mase!;
    expect(seasonal).toBeLessThan(plain / 3);
    expect(restoreForecaster(JSON.parse(JSON.stringify(state))).forecast(3)).toEqual(theta({ period: 7 }).fit(series).forecast(3));
  });
});
