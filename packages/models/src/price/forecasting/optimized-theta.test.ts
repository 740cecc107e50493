import { describe, expect, it } from 'vitest';
import { ModelConfigError } from '../../errors.ts';
import type { OptimizedThetaState } from './forecaster.ts';
import { fitTrendLine } from './linear-trend.ts';
import { optimizedTheta } from './optimized-theta.ts';
import { restoreForecaster } from './restore.ts';
import { simulateEts } from './testing/simulate.ts';

/**
 * The model's one-step errors after the 3-point burn-in, by direct recursion (Fiorucci et al.
 * 2016, eqs. for μₜ and ℓₜ, as statsforecast's theta.cpp computes them), for any parameters.
 */
function sumOfSquaredErrors(y: readonly number[], alpha: number, theta: number, initialLevel: number): number {
  const { intercept: A, slope: B } = fitTrendLine(y, 1);
  let level = initialLevel;
  let sse = 0;
  y.forEach((value, i) => {
    const mu = level + (1 - 1 / theta) * (A * (1 - alpha) ** i + (B * (1 - (1 - alpha) ** (i + 1))) / alpha);
    if (i >= 3) sse += (value - mu) ** 2;
    level = alpha * value + (1 - alpha) * level;
  });
  return sse;
}

/** The best initial level for given α and θ: the SSE is a parabola in it, its vertex from three points. */
function bestOverLevel(y: readonly number[], alpha: number, theta: number): number {
  const [f0, f1, f2] = [0, 1, 2].map((level) => sumOfSquaredErrors(y, alpha, theta, level * 100));
  const curvature = (f2! - 2 * f1! + f0!) / 2;
  const vertex = 100 * (0.5 - (f1! - f0!) / (2 * curvature));
  return sumOfSquaredErrors(y, alpha, theta, vertex);
}

const series = simulateEts({ variant: 'holt', parameters: { alpha: 0.4, beta: 0.05, phi: 1 }, initial: { level: 100, trend: 0.3 }, sigma: 1, length: 120, seed: 8 });

describe('optimizedTheta', () => {
  it('finds parameters no point of an (α, θ) grid beats, each with its best initial level', () => {
    const state = optimizedTheta().fit(series).toState() as OptimizedThetaState;
    const fitted = sumOfSquaredErrors(series, state.alpha, state.theta, state.initialLevel);
    for (let alpha = 0.1; alpha <= 0.99; alpha += 0.05) {
      for (const theta of [1, 1.25, 1.5, 2, 3, 5, 10, 100]) {
        expect(bestOverLevel(series, alpha, theta)).toBeGreaterThanOrEqual(fitted * (1 - 1e-9));
      }
    }
    expect(state.theta).toBeGreaterThanOrEqual(1);
  });

  it('the in-sample fitted values are the recursion’s one-step forecasts', () => {
    const model = optimizedTheta().fit(series);
    const state = model.toState() as OptimizedThetaState;
    const sse = model.residuals.slice(3).reduce((sum, e) => sum + e * e, 0);
    expect(sse).toBeCloseTo(sumOfSquaredErrors(series, state.alpha, state.theta, state.initialLevel), 6);
  });

  it('follows an exact line: θ → ∞ and the forecasts continue it', () => {
    const line = Array.from({ length: 40 }, (_, t) => 5 + 2 * t);
    const model = optimizedTheta().fit(line);
    expect((model.toState() as OptimizedThetaState).theta).toBeGreaterThan(1e6);
    model.forecast(4).forEach((value, j) => expect(value).toBeCloseTo(5 + 2 * (40 + j), 6));
  });

  it('θ = 1 is simple exponential smoothing: a flat forecast at the smoothed level', () => {
    const model = optimizedTheta({ theta: 1, alpha: 0.3 }).fit(series);
    const state = model.toState() as OptimizedThetaState;
    let level = state.initialLevel;
    for (const y of series) level = 0.3 * y + 0.7 * level;
    model.forecast(3).forEach((value) => expect(value).toBeCloseTo(level, 9));
  });

  it('θ = 2 with fixed α forecasts the recursion continued with yᵢ = μᵢ', () => {
    const model = optimizedTheta({ theta: 2, alpha: 0.5 }).fit(series);
    const state = model.toState() as OptimizedThetaState;
    const { intercept: A, slope: B } = fitTrendLine(series, 1);
    let level = state.initialLevel;
    for (const y of series) level = 0.5 * y + 0.5 * level;
    const expected: number[] = [];
    for (let i = series.length; i < series.length + 3; i++) {
      const mu = level + 0.5 * (A * 0.5 ** i + (B * (1 - 0.5 ** (i + 1))) / 0.5);
      expected.push(mu);
      level = 0.5 * mu + 0.5 * level;
    }
    model.forecast(3).forEach((value, j) => expect(value).toBeCloseTo(expected[j]!, 9));
  });

  it('checks its options and saves and loads', () => {
    expect(() => optimizedTheta({ theta: 0.5 })).toThrow(ModelConfigError);
    expect(() => optimizedTheta({ alpha: 0.05 })).toThrow(ModelConfigError);
    const model = optimizedTheta().fit(series);
    expect(restoreForecaster(JSON.parse(JSON.stringify(model.toState()))).forecast(5)).toEqual(model.forecast(5));
  });
});
