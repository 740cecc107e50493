import { describe, expect, it } from 'vitest';
import { maxRollingOrigins, rollingOrigins } from './rolling-origin.ts';

describe('rollingOrigins', () => {
  it('places origins a step apart, the latest last, its test window ending at the series end', () => {
    expect(rollingOrigins(100, { folds: 3, horizon: 10 })).toEqual([
      { index: 0, trainEnd: 70, testStart: 70, testEnd: 80 },
      { index: 1, trainEnd: 80, testStart: 80, testEnd: 90 },
      { index: 2, trainEnd: 90, testStart: 90, testEnd: 100 },
    ]);
    expect(rollingOrigins(20, { folds: 4, horizon: 3, step: 1 }).map((f) => [f.trainEnd, f.testEnd])).toEqual([
      [14, 17],
      [15, 18],
      [16, 19],
      [17, 20],
    ]);
  });

  it('never lets a fold train on its own test window', () => {
    for (const fold of rollingOrigins(50, { folds: 7, horizon: 5, step: 3, minTrain: 10 })) {
      expect(fold.testStart).toBe(fold.trainEnd);
      expect(fold.testEnd - fold.testStart).toBe(5);
      expect(fold.trainEnd).toBeGreaterThanOrEqual(10);
    }
  });

  it('counts how many folds fit and refuses more', () => {
    expect(maxRollingOrigins(100, { horizon: 10, minTrain: 30 })).toBe(7); // origins 30, 40, …, 90
    expect(maxRollingOrigins(100, { horizon: 10, step: 1, minTrain: 30 })).toBe(61);
    expect(maxRollingOrigins(35, { horizon: 10, minTrain: 30 })).toBe(0);
    expect(() => rollingOrigins(100, { folds: 8, horizon: 10, minTrain: 30 })).toThrow(/need 110 points; the series has 100/);
    expect(rollingOrigins(100, { folds: 7, horizon: 10, minTrain: 30 })[0]!.trainEnd).toBe(30);
    expect(() => rollingOrigins(100, { folds: 0, horizon: 10 })).toThrow(RangeError);
    expect(() => rollingOrigins(100, { folds: 2, horizon: 1.5 })).toThrow(RangeError);
  });
});
