import { describe, expect, it } from 'vitest';
import { drift } from './drift.ts';
import type { Forecaster } from './forecaster.ts';
import { naive } from './naive.ts';
import { simulateRandomWalkWithNoise } from './testing/simulate.ts';
import { applyConformal, calibrateConformal, forecastWithIntervals, intervalCoverage, type ConformalCalibration } from './conformal.ts';

describe('calibrateConformal', () => {
  it('takes the ⌊(n + 1)q⌋-th smallest error for a lower quantile, the ⌈(n + 1)q⌉-th for an upper one', () => {
    const errors = [5, -3, 0, 2, -1, 4, 1, -2, 3]; // n = 9, sorted −3 −2 −1 0 1 2 3 4 5
    const calibration = calibrateConformal({ residualsByStep: [errors] }, { quantiles: [0.1, 0.25, 0.5, 0.9] });
    // 0.1: ⌊1⌋ = 1st → −3; 0.25: ⌊2.5⌋ = 2nd → −2; median 1; 0.9: ⌈9⌉ = 9th → 5
    expect(calibration.offsets).toEqual([[-3, -2, 1, 5]]);
    expect(calibration.guaranteed).toEqual([true]);
    expect(calibration.sampleSizes).toEqual([9]);
  });

  it('caps the band at the extreme errors, and says so, when there are too few for the level', () => {
    const calibration = calibrateConformal({
      residualsByStep: [
        [1, 2, 3],
        [-1, 0, 1, 2, 3, 4, 5, 6, 7],
      ],
    });
    expect(calibration.offsets[0]).toEqual([1, 2, 3]);
    expect(calibration.guaranteed).toEqual([false, true]);
  });

  it('adds each step’s offsets to the point forecast', () => {
    const calibration = calibrateConformal(
      {
        residualsByStep: [
          [-1, 0, 1, 2, 3, 4, 5, 6, 7],
          [-10, 0, 10, 20, 30, 40, 50, 60, 70],
        ],
      },
      { quantiles: [0.1, 0.9] },
    );
    const intervals = applyConformal([100, 200], calibration);
    expect(intervals.lower).toEqual([99, 190]);
    expect(intervals.upper).toEqual([107, 270]);
    expect(intervals.values).toEqual([intervals.lower, intervals.upper]);
    expect(() => applyConformal([1, 2, 3], calibration)).toThrow(/covers 2 steps/);
  });

  it('refuses levels outside (0, 1) and empty or non-finite errors', () => {
    expect(() => calibrateConformal({ residualsByStep: [[1, 2]] }, { quantiles: [0, 0.5] })).toThrow(RangeError);
    expect(() => calibrateConformal({ residualsByStep: [[]] })).toThrow(RangeError);
    expect(() => calibrateConformal({ residualsByStep: [[1, Number.NaN]] })).toThrow(RangeError);
    expect(() => calibrateConformal({ residualsByStep: [[1, 2]] }, { scale: 'relative' })).toThrow(/forecastsByStep/);
    expect(() => calibrateConformal({ residualsByStep: [[1, 2]], forecastsByStep: [[1, 0]] }, { scale: 'relative' })).toThrow(/non-zero/);
  });

  it('relative scaling: errors as fractions of their forecasts, offsets as fractions of the new one', () => {
    // The same 10% misses at price 10 and at price 1000.
    const errors = { residualsByStep: [[-1, 1, -100, 100, 0, -1, 1, -100, 100]], forecastsByStep: [[10, 10, 1000, 1000, 50, 10, 10, 1000, 1000]] };
    const calibration = calibrateConformal(errors, { quantiles: [0.1, 0.9], scale: 'relative' });
    expect(calibration.offsets).toEqual([[-0.1, 0.1]]);
    const intervals = applyConformal([200], calibration);
    expect(intervals.lower[0]).toBeCloseTo(180, 12);
    expect(intervals.upper[0]).toBeCloseTo(220, 12);
    // Absolute: the big misses dominate whatever the level.
    expect(calibrateConformal(errors, { quantiles: [0.1, 0.9] }).offsets).toEqual([[-100, 100]]);
  });
});

describe('intervalCoverage', () => {
  it('counts actuals inside the band, edges included', () => {
    expect(intervalCoverage([1, 2, 3, 4], [0, 2, 3.5, 0], [1, 3, 4, 3])).toBe(0.5);
  });
});

describe('conformal intervals on data with known noise', () => {
  /**
   * Random walk (step σ 1) plus observation noise (σ 1): the h-step errors of naive and drift are
   * stationary, so backtest errors on the past are exchangeable with the next forecast's and an
   * 80% band should cover about 80% of what comes next. 200 series × 10 steps, a seed each.
   */
  const horizon = 10;
  const simulate = (seed: number) => simulateRandomWalkWithNoise({ length: 150, start: 50, stepSigma: 1, noiseSigma: 1, seed });

  function coverage(forecaster: Forecaster, offsetsOf: (calibration: ConformalCalibration, step: number) => number[]) {
    const insideByStep = new Array<number>(horizon).fill(0);
    for (let seed = 1; seed <= 200; seed++) {
      const series = simulate(seed);
      const train = series.slice(0, series.length - horizon);
      const { forecast, calibration } = forecastWithIntervals(train, forecaster, { horizon, calibrationFolds: 60, calibrationStep: 1, quantiles: [0.1, 0.9] });
      series.slice(series.length - horizon).forEach((value, j) => {
        const [low, high] = offsetsOf(calibration, j);
        if (value >= forecast[j]! + low! && value <= forecast[j]! + high!) insideByStep[j]! += 1;
      });
    }
    const byStep = insideByStep.map((count) => count / 200);
    return { covered: byStep.reduce((a, b) => a + b) / horizon, byStep };
  }

  it.each([
    { name: 'naive', forecaster: naive() },
    { name: 'drift', forecaster: drift() },
  ])('80% intervals of $name cover 75–85% of actuals', ({ forecaster }) => {
    const { covered, byStep } = coverage(forecaster, (calibration, step) => calibration.offsets[step]!);
    // Nominal with n = 60 errors per step: 1 − 2·⌊6.1⌋/61 = 80.3%. 2 000 points, correlated
    // within a series (one calibration serves its 10 steps): a ±5% band.
    expect(covered).toBeGreaterThan(0.75);
    expect(covered).toBeLessThan(0.85);
    for (const share of byStep) expect(share).toBeGreaterThan(0.68);
  });

  it('a band not calibrated per step (step 1’s offsets at every step) undercovers: the test can tell', () => {
    // The h-step error variance is h + 2 here, against 3 at step 1: far steps fall outside.
    const { covered, byStep } = coverage(naive(), (calibration) => calibration.offsets[0]!);
    expect(covered).toBeLessThan(0.7);
    expect(byStep[horizon - 1]).toBeLessThan(0.6);
  });
});
