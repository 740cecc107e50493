import { describe, expect, it } from 'vitest';
import { InvalidSeriesError, ModelConfigError, NotEnoughDataError } from '../../errors.ts';
import { ets } from './ets.ts';
import type { EtsState } from './forecaster.ts';
import { restoreForecaster } from './restore.ts';
import { seededGaussian } from './testing/random.ts';
import { simulateEts } from './testing/simulate.ts';

const stateOf = (series: number[], options: Parameters<typeof ets>[0]) => ets(options).fit(series).toState() as EtsState;

describe('ets: known answers with fixed parameters', () => {
  it('simple exponential smoothing, α = 0.5 from ℓ₀ = 3, step by step', () => {
    // ℓ: 3 → 3 (e 0) → 4 (e 2) → 6.5 (e 5) → 13.25 (e 13.5) → 12.625 (e −1.25)
    const model = ets({ variant: 'simple', alpha: 0.5, initialLevel: 3 }).fit([3, 5, 9, 20, 12]);
    expect(model.fitted).toEqual([3, 3, 4, 6.5, 13.25]);
    expect(model.residuals).toEqual([0, 2, 5, 13.5, -1.25]);
    expect(model.forecast(3)).toEqual([12.625, 12.625, 12.625]);
    expect(model.label).toBe('ets(simple)');
  });

  it("Holt's linear trend, α = 0.5, β = 0.2 from ℓ₀ = 10, b₀ = 1", () => {
    // ŷ 11 → e 1, ℓ 11.5, b 1.2; ŷ 12.7 → e 0.3, ℓ 12.85, b 1.26; ŷ 14.11 → e 0.89, ℓ 14.555, b 1.438
    const model = ets({ variant: 'holt', alpha: 0.5, beta: 0.2, initialLevel: 10, initialTrend: 1 }).fit([12, 13, 15]);
    expectClose(model.fitted, [11, 12.7, 14.11]);
    expectClose(model.forecast(3), [15.993, 17.431, 18.869]);
  });

  it('damped trend, α = 0.5, β = 0.2, φ = 0.9 from ℓ₀ = 10, b₀ = 1', () => {
    // ŷ 10.9 → e 1.1, ℓ 11.45, b 1.12; ŷ 12.458 → e 0.542, ℓ 12.729, b 1.1164;
    // ŷ 13.73376 → e 1.26624, ℓ 14.36688, b 1.258008; forecasts ℓ + (0.9 + … + 0.9ʰ)·b
    const model = ets({ variant: 'damped', alpha: 0.5, beta: 0.2, phi: 0.9, initialLevel: 10, initialTrend: 1 }).fit([12, 13, 15]);
    expectClose(model.fitted, [10.9, 12.458, 13.73376]);
    expectClose(model.forecast(3), [15.4990872, 16.51807368, 17.435161512]);
    const state = model.toState() as EtsState;
    expectClose([state.final.level, state.final.trend], [14.36688, 1.258008]);
  });

  it('estimates the initial states exactly: no (ℓ₀, b₀) nearby has a smaller sum of squared errors', () => {
    const series = simulateEts({ variant: 'holt', parameters: { alpha: 0.4, beta: 0.1, phi: 1 }, initial: { level: 50, trend: 2 }, sigma: 1, length: 40, seed: 3 });
    const fixed = { variant: 'holt', alpha: 0.4, beta: 0.1 } as const;
    const state = stateOf(series, fixed);
    const sse = (level: number, trend: number) =>
      ets({ ...fixed, initialLevel: level, initialTrend: trend })
        .fit(series)
        .residuals.reduce((sum, e) => sum + e * e, 0);
    const best = sse(state.initial.level, state.initial.trend);
    expect(best).toBeCloseTo(state.summary.mse * series.length, 8);
    for (const [dl, db] of [
      [0.01, 0],
      [-0.01, 0],
      [0, 0.01],
      [0, -0.01],
      [0.01, -0.01],
    ] as const) {
      expect(sse(state.initial.level + dl, state.initial.trend + db)).toBeGreaterThan(best);
    }
  });
});

describe('ets: fitting', () => {
  it('recovers the parameters of simulated series', () => {
    const simple = stateOf(simulateEts({ variant: 'simple', parameters: { alpha: 0.3, beta: 0, phi: 0 }, initial: { level: 100, trend: 0 }, sigma: 1, length: 3000, seed: 1 }), {
      variant: 'simple',
    });
    expect(simple.parameters.alpha).toBeCloseTo(0.3, 1);
    const holt = stateOf(simulateEts({ variant: 'holt', parameters: { alpha: 0.5, beta: 0.1, phi: 1 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 3000, seed: 2 }), {
      variant: 'holt',
    });
    expect(Math.abs(holt.parameters.alpha - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(holt.parameters.beta - 0.1)).toBeLessThan(0.03);
    const damped = stateOf(simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 3000, seed: 3 }), {
      variant: 'damped',
    });
    expect(Math.abs(damped.parameters.alpha - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(damped.parameters.beta - 0.2)).toBeLessThan(0.05);
    expect(Math.abs(damped.parameters.phi - 0.9)).toBeLessThan(0.03);
  });

  it('the estimate is at least as good as every point of a fine grid over α', () => {
    const series = simulateEts({ variant: 'simple', parameters: { alpha: 0.6, beta: 0, phi: 0 }, initial: { level: 10, trend: 0 }, sigma: 1, length: 200, seed: 9 });
    const fitted = stateOf(series, { variant: 'simple' });
    for (let alpha = 0.01; alpha < 1; alpha += 0.01) {
      expect(stateOf(series, { variant: 'simple', alpha }).summary.mse).toBeGreaterThanOrEqual(fitted.summary.mse - 1e-9);
    }
  });

  it('keeps estimates inside the usual bounds: 1e-4 ≤ β ≤ α ≤ 0.9999, 0.8 ≤ φ ≤ 0.98', () => {
    const gaussian = seededGaussian(5);
    let walk = 0;
    const series = Array.from({ length: 300 }, () => (walk += gaussian()));
    for (const variant of ['simple', 'holt', 'damped'] as const) {
      const { alpha, beta, phi } = stateOf(series, { variant }).parameters;
      expect(alpha).toBeGreaterThanOrEqual(1e-4);
      expect(alpha).toBeLessThanOrEqual(0.9999);
      if (variant !== 'simple') expect(beta).toBeLessThanOrEqual(alpha);
      if (variant === 'damped') expect(phi).toBeGreaterThanOrEqual(0.8);
      if (variant === 'damped') expect(phi).toBeLessThanOrEqual(0.98);
    }
  });

  it('reports the Gaussian likelihood and AICc of its residuals', () => {
    const series = simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 0, trend: 1 }, sigma: 2, length: 120, seed: 4 });
    const model = ets({ variant: 'damped' }).fit(series);
    const { summary } = model.toState() as EtsState;
    const n = series.length;
    const sse = model.residuals.reduce((sum, e) => sum + e * e, 0);
    const k = 6; // α, β, φ, ℓ₀, b₀, σ²
    const m2ll = n * (Math.log((2 * Math.PI * sse) / n) + 1);
    expect(summary.parameters).toBe(k);
    expect(summary.minusTwoLogLikelihood).toBeCloseTo(m2ll, 8);
    expect(summary.aicc).toBeCloseTo(m2ll + 2 * k + (2 * k * (k + 1)) / (n - k - 1), 8);
  });

  it('is unchanged by a shift of the series, but for its level', () => {
    const series = simulateEts({ variant: 'holt', parameters: { alpha: 0.3, beta: 0.05, phi: 1 }, initial: { level: 1, trend: 0.1 }, sigma: 0.5, length: 150, seed: 6 });
    const base = ets({ variant: 'holt' }).fit(series);
    const shifted = ets({ variant: 'holt' }).fit(series.map((v) => v + 1e6));
    expectClose(
      shifted.forecast(5).map((v) => v - 1e6),
      base.forecast(5),
      1e-5,
    );
  });
});

describe('ets: variant by AICc', () => {
  const choices = (make: (seed: number) => number[]) => {
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= 20; seed++) {
      const { variant } = stateOf(make(seed), {});
      counts[variant] = (counts[variant] ?? 0) + 1;
    }
    return counts;
  };

  it('picks damped on damped-trend series', () => {
    const counts = choices((seed) => simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 500, seed }));
    expect(counts.damped).toBe(20);
  });

  it('picks simple on level-only series, mostly (AICc is a noisy criterion)', () => {
    const counts = choices((seed) => simulateEts({ variant: 'simple', parameters: { alpha: 0.3, beta: 0, phi: 0 }, initial: { level: 100, trend: 0 }, sigma: 1, length: 500, seed }));
    expect(counts.simple).toBeGreaterThanOrEqual(16);
  });

  it('picks holt on a series with a steady trend and a wandering level', () => {
    const counts = choices((seed) => simulateEts({ variant: 'holt', parameters: { alpha: 0.5, beta: 0.1, phi: 1 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 500, seed }));
    expect(counts.holt).toBeGreaterThanOrEqual(16);
  });

  it('lists every variant it compared, the chosen one with the lowest AICc', () => {
    const state = stateOf(simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 200, seed: 1 }), {});
    expect(state.candidates.map((c) => c.variant)).toEqual(['simple', 'holt', 'damped']);
    expect(Math.min(...state.candidates.map((c) => c.aicc))).toBe(state.summary.aicc);
  });

  it('fits only the variants a short series can support (R: n > parameters + 4)', () => {
    // simple estimates 2 parameters (needs 7 points), holt 4 (9), damped 5 (10).
    const state = stateOf([1, 3, 2, 4, 3, 5, 4, 6], {});
    expect(state.candidates.map((c) => c.variant)).toEqual(['simple']);
    expect(() => ets().fit([1, 2, 3, 4, 5, 6])).toThrow(NotEnoughDataError);
  });
});

describe('ets: save, load, bad input', () => {
  it('restores from JSON to the same forecasts, fitted values and residuals', () => {
    const model = ets().fit(simulateEts({ variant: 'damped', parameters: { alpha: 0.5, beta: 0.2, phi: 0.9 }, initial: { level: 100, trend: 1 }, sigma: 1, length: 100, seed: 2 }));
    const again = restoreForecaster(JSON.parse(JSON.stringify(model.toState())));
    expect(again.forecast(12)).toEqual(model.forecast(12));
    expect(again.fitted).toEqual(model.fitted);
    expect(again.residuals).toEqual(model.residuals);
    expect(again.label).toBe(model.label);
  });

  it('rejects non-finite values and parameters outside their ranges', () => {
    expect(() => ets().fit([1, 2, Number.NaN, 4, 5, 6, 7, 8])).toThrow(InvalidSeriesError);
    expect(() => ets({ alpha: 1.5 })).toThrow(ModelConfigError);
    expect(() => ets({ alpha: 0.3, beta: 0.5 })).toThrow(/beta/);
    expect(() => ets({ phi: 0 })).toThrow(ModelConfigError);
    expect(() => ets().fit([1, 2, 3, 4, 5, 6, 7]).forecast(0)).toThrow(/horizon/);
  });
});

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-9): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected[i]!))));
}
