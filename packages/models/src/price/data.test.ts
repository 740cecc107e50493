import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { assertFiniteSeries, createWindows, decodePrediction, encodeTarget, encodeWindow, fitPriceScaler, splitHoldout } from './data.ts';
import { evaluate, evaluateHoldout, mae, mape, rmse } from './metrics.ts';
import { fitLinear, predictLinear } from './linear.ts';

beforeAll(() => initBackend('auto'));

describe('windows and scaling', () => {
  it('makes [count, window, 1] inputs and the next value as target (minmax)', async () => {
    const scaler = fitPriceScaler('minmax', [1, 5]);
    const { xs, ys, count } = createWindows([1, 2, 3, 4, 5], 3, scaler);
    expect(count).toBe(2);
    expect(xs.shape).toEqual([2, 3, 1]);
    expect(ys.shape).toEqual([2, 1]);
    expect(Array.from(await xs.data())).toEqual([0, 0.25, 0.5, 0.25, 0.5, 0.75]);
    expect(Array.from(await ys.data())).toEqual([0.75, 1]);
    tf.dispose([xs, ys]);
  });

  it('minmax scales to [0, 1] on the fitted data and decodes exactly', () => {
    const scaler = fitPriceScaler('minmax', [10, 20, 30]);
    expect(scaler).toEqual({ kind: 'minmax', min: 10, max: 30 });
    expect(Array.from(encodeWindow(scaler, [10, 20, 30, 40]))).toEqual([0, 0.5, 1, 1.5]); // past the training range it extrapolates
    expect(decodePrediction(scaler, 0, encodeTarget(scaler, 0, 33))).toBeCloseTo(33, 10);
    expect(Array.from(encodeWindow(fitPriceScaler('minmax', [5, 5]), [5, 6]))).toEqual([0, 1]); // a flat series does not divide by zero
  });

  it('relative scaling works on returns, so prices orders of magnitude apart look alike', () => {
    const scaler = fitPriceScaler('auto', [100, 110, 99, 108.9]); // returns +10 %, −10 %, +10 %
    expect(scaler.kind).toBe('relative');
    const small = encodeWindow(scaler, [100, 110]);
    const large = encodeWindow(scaler, [100_000, 110_000]);
    expect(Array.from(small)).toEqual(Array.from(large));
    expect(decodePrediction(scaler, 110, encodeTarget(scaler, 110, 121))).toBeCloseTo(121, 10);
    expect(fitPriceScaler('auto', [0, 1, 2]).kind).toBe('minmax'); // zeros or negatives: minmax
    expect(() => fitPriceScaler('relative', [-1, 1])).toThrow(/positive closes/);
  });

  it('splits off the last holdout points', () => {
    expect(splitHoldout([1, 2, 3, 4, 5], 2)).toEqual({ train: [1, 2, 3], holdout: [4, 5] });
  });

  it('refuses windows that would overflow float32 once scaled', () => {
    expect(() => createWindows([1e-300, 1e300, 1e-300], 1, { kind: 'relative', scale: 1 })).toThrow(/not finite/);
  });

  it('names the first value that is not finite', () => {
    expect(() => assertFiniteSeries([1, Number.NaN])).toThrow('series value at index 1 is NaN, not a finite number');
    expect(() => assertFiniteSeries([Infinity])).toThrow(/index 0 is Infinity/);
  });
});

describe('metrics', () => {
  it('match hand-computed values', () => {
    const m = evaluate([100, 200, 0], [110, 190, 5]);
    expect(m.mae).toBeCloseTo((10 + 10 + 5) / 3, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt((100 + 100 + 25) / 3), 12);
    expect(m.mape).toBeCloseTo(((10 / 100 + 10 / 200) / 2) * 100, 12); // zero actuals are skipped
    expect(evaluate([0], [1]).mape).toBeNull();
    expect(mae([1, 2], [2, 4])).toBe(1.5);
    expect(rmse([1, 2], [2, 4])).toBe(Math.sqrt(2.5));
    expect(mape([4, -2], [5, -1])).toBe(37.5);
    expect(() => evaluate([1, 2], [1])).toThrow(/equal, non-empty/);
  });

  it('score the holdout one step ahead and multi-step against naive and linear baselines', () => {
    // Training part [1, 3, 2, 5]: line 1.1 + 1.1·t, so 5.5 at t = 4 and 6.6 at t = 5.
    const closes = [1, 3, 2, 5, 6, 8];
    const m = evaluateHoldout(closes, 2, [5.5, 6], [5, 5]);
    expect(m.holdout).toBe(2);
    expect(m.model).toEqual(evaluate([6, 8], [5.5, 6]));
    expect(m.naive).toEqual(evaluate([6, 8], [5, 6])); // previous actual close
    expect(m.linear.mae).toBeCloseTo((0.5 + 1.4) / 2, 12);
    expect(m.multiStep.model).toEqual(evaluate([6, 8], [5, 5]));
    expect(m.multiStep.naive).toEqual(evaluate([6, 8], [5, 5])); // last training close, repeated
    expect(m.multiStep.linear).toEqual(m.linear);
  });
});

describe('linear regression on the time index', () => {
  it('recovers an exact line and extends it', () => {
    const fit = fitLinear(Array.from({ length: 20 }, (_, t) => 3 + 2 * t));
    expect(fit.intercept).toBeCloseTo(3, 10);
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(predictLinear(fit, 20, 2)).toEqual([43, 45].map((v) => expect.closeTo(v, 10)));
  });

  it('matches the least-squares answer on noisy data', () => {
    // y = [1, 3, 2, 5]: slope = Σ(t−1.5)(y−2.75)/Σ(t−1.5)² = 5.5/5 = 1.1, intercept = 2.75 − 1.1·1.5 = 1.1
    const fit = fitLinear([1, 3, 2, 5]);
    expect(fit.slope).toBeCloseTo(1.1, 10);
    expect(fit.intercept).toBeCloseTo(1.1, 10);
  });
});
