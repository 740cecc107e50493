import { describe, expect, it } from 'vitest';
import { ModelConfigError } from '../../errors.ts';
import { autoForecaster } from './auto.ts';
import { drift } from './drift.ts';
import type { AutoState, EtsState, FittedForecaster, Forecaster } from './forecaster.ts';
import { linearTrend } from './linear-trend.ts';
import { naive } from './naive.ts';
import { restoreForecaster } from './restore.ts';
import { seededGaussian } from './testing/random.ts';

const selectionOf = (model: FittedForecaster) => (model.toState() as AutoState).selection;
const chosenModel = (model: FittedForecaster) => (model.toState() as AutoState).model;

/** Noise σ 1 around a constant level. */
const constantLevel = (seed: number) => {
  const gaussian = seededGaussian(seed);
  return Array.from({ length: 300 }, () => 100 + gaussian());
};
/** A level that steps up by 20 every 100 points, noise σ 1: nothing trends within a step. */
const steppedLevel = (seed: number) => {
  const gaussian = seededGaussian(seed);
  return Array.from({ length: 300 }, (_, t) => 100 + 20 * Math.floor(t / 100) + gaussian());
};
/** A steep line under noise σ 1. */
const steepTrend = (seed: number) => {
  const gaussian = seededGaussian(seed);
  return Array.from({ length: 300 }, (_, t) => 100 + 2 * t + gaussian());
};
/** A trend that dies away: each step is 0.95 of the last (yₜ = yₜ₋₁ + 5·0.95ᵗ), small noise. */
const dampedTrend = (seed: number) => {
  const gaussian = seededGaussian(seed);
  let level = 100;
  return Array.from({ length: 90 }, (_, t) => (level += 5 * 0.95 ** (t + 1)) + 0.05 * gaussian());
};

describe('auto: picks the family the data came from', () => {
  const seeds = [1, 2, 3, 4, 5];

  it('a constant level under noise: a level model (simple smoothing or naive), nearly always', () => {
    // Theta with a near-zero drift is SES give or take noise: it can edge ahead by chance.
    let level = 0;
    for (let seed = 1; seed <= 20; seed++) {
      if (['auto: ets(simple)', 'auto: naive'].includes(autoForecaster().fit(constantLevel(seed)).label)) level++;
    }
    expect(level).toBeGreaterThanOrEqual(18);
  });

  it('a stepped level: simple exponential smoothing, ahead of naive and of Theta’s drift', () => {
    for (const seed of seeds) {
      const model = autoForecaster().fit(steppedLevel(seed));
      expect(model.label).toBe('auto: ets(simple)');
      const scores = new Map(selectionOf(model).candidates.map((c) => [c.label, c.meanMase!]));
      expect(scores.get('ets(auto)')!).toBeLessThan(scores.get('theta')!);
      expect(scores.get('ets(auto)')!).toBeLessThan(0.95 * scores.get('naive')!);
      expect(scores.get('ets(auto)')!).toBeLessThan(0.9 * scores.get('drift')!);
    }
  });

  it('a steep trend: a trend model (drift, Holt, damped or the optimised Theta), far ahead of naive', () => {
    for (const seed of seeds) {
      const model = autoForecaster().fit(steepTrend(seed));
      expect(['auto: drift', 'auto: ets(holt)', 'auto: ets(damped)', 'auto: optimizedTheta']).toContain(model.label);
      const scores = new Map(selectionOf(model).candidates.map((c) => [c.label, c.meanMase!]));
      expect(Math.min(...scores.values())).toBeLessThan(0.3 * scores.get('naive')!);
    }
  });

  it('a dying trend: the damped trend', () => {
    for (const seed of seeds) {
      const model = autoForecaster().fit(dampedTrend(seed));
      expect(model.label).toBe('auto: ets(damped)');
      expect((chosenModel(model) as EtsState).parameters.phi).toBeGreaterThan(0.9);
    }
  });
});

describe('auto: the choice and its record', () => {
  it('records every candidate’s mean MASE and the chosen one’s errors by step', () => {
    const series = steepTrend(9);
    const model = autoForecaster({ horizon: 5, folds: 8 }).fit(series);
    const selection = selectionOf(model);
    expect(selection.candidates.map((c) => c.label)).toEqual(['naive', 'drift', 'ets(auto)', 'theta', 'optimizedTheta']);
    const best = Math.min(...selection.candidates.map((c) => c.meanMase!));
    const chosen = selection.candidates.find((c) => c.label === selection.chosen)!;
    expect(chosen.meanMase!).toBeLessThanOrEqual(best * 1.03);
    expect(selection.folds).toBe(8);
    expect(selection.residualsByStep).toHaveLength(5);
    for (const step of selection.residualsByStep) expect(step).toHaveLength(8);
    expect(model.forecast(5)).toEqual(restoreForecaster(chosenModel(model)).forecast(5));
  });

  it('settles a tie for the simpler candidate, within the tolerance', () => {
    const line = Array.from({ length: 80 }, (_, t) => 3 + 0.5 * t);
    // drift and the trend line both forecast a line exactly: MASE 0 each.
    const tie = selectionOf(autoForecaster({ candidates: [naive(), drift(), linearTrend()] }).fit(line));
    expect(tie.chosen).toBe('drift');
    expect(tie.reason).toBe('best-mase');
    // On a line, naive's MASE at horizon 10 is (10 + 1)/2 = 5.5; a naive forecast moved a share f
    // of the way to drift's scores (1 − f)·5.5: 0.5% better for f = 0.005, 5% for f = 0.05.
    const lenient = selectionOf(autoForecaster({ candidates: [naive(), nudgedNaive(0.005)] }).fit(line));
    expect(lenient.chosen).toBe('naive');
    expect(lenient.reason).toBe('tie-simpler');
    expect(selectionOf(autoForecaster({ candidates: [naive(), nudgedNaive(0.005)], tieTolerance: 0 }).fit(line)).chosen).toBe('nudged(0.005)');
    const clear = selectionOf(autoForecaster({ candidates: [naive(), nudgedNaive(0.05)] }).fit(line));
    expect(clear.chosen).toBe('nudged(0.05)');
    expect(clear.candidates.map((c) => c.meanMase)).toEqual([expect.closeTo(5.5, 9), expect.closeTo(0.95 * 5.5, 9)]);
  });

  it('falls back to naive on a series too short to backtest, and says why', () => {
    const model = autoForecaster().fit([5, 6, 7, 6, 8, 9, 8, 10, 11, 12]);
    const selection = selectionOf(model);
    expect(model.label).toBe('auto: naive');
    expect(selection.reason).toBe('too-short');
    expect(selection.folds).toBe(0);
    expect(selection.candidates.every((c) => c.meanMase === null && c.skipped !== undefined)).toBe(true);
    expect(model.forecast(3)).toEqual([12, 12, 12]);
  });

  it('falls back to naive when no candidate has a MASE (a constant series)', () => {
    const selection = selectionOf(autoForecaster().fit(new Array(60).fill(7)));
    expect(selection.chosen).toBe('naive');
    expect(selection.reason).toBe('unscored');
    expect(selection.candidates.every((c) => c.skipped?.startsWith('MASE undefined'))).toBe(true);
  });

  it('still chooses on a 39-day series, with fewer folds', () => {
    const model = autoForecaster().fit(steepTrend(4).slice(0, 39));
    const selection = selectionOf(model);
    expect(selection.reason).not.toBe('too-short');
    expect(selection.folds).toBeGreaterThanOrEqual(3);
    expect(selection.candidates.every((c) => c.meanMase !== null)).toBe(true);
  });

  it('saves and loads with its record; checks its options', () => {
    const model = autoForecaster().fit(dampedTrend(2));
    const again = restoreForecaster(JSON.parse(JSON.stringify(model.toState())));
    expect(again.forecast(10)).toEqual(model.forecast(10));
    expect(selectionOf(again)).toEqual(selectionOf(model));
    expect(() => autoForecaster({ horizon: 0 })).toThrow(ModelConfigError);
    expect(() => autoForecaster({ candidates: [] })).toThrow(ModelConfigError);
    expect(() => autoForecaster({ tieTolerance: -1 })).toThrow(ModelConfigError);
  });
});

/** Naive moved a share `f` of the way to drift: a candidate whose MASE on a line is known exactly. */
function nudgedNaive(f: number): Forecaster {
  return {
    method: 'naive',
    label: `nudged(${f})`,
    minLength: 2,
    fit(series) {
      const base = naive().fit(series);
      const line = drift().fit(series);
      return { ...base, label: `nudged(${f})`, forecast: (h) => base.forecast(h).map((v, j) => v + f * (line.forecast(h)[j]! - v)) };
    },
  };
}
