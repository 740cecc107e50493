import { describe, expect, it } from 'vitest';
import { meanAbsoluteError, meanAbsolutePercentageError, meanAbsoluteScaledError, naiveScale, rootMeanSquaredError, scoreForecast } from './metrics.ts';

describe('forecast scores', () => {
  const actual = [10, 20, 40];
  const forecast = [12, 18, 30];

  it('MAE, RMSE and MAPE by hand', () => {
    expect(meanAbsoluteError(actual, forecast)).toBeCloseTo(14 / 3, 12); // (2 + 2 + 10) / 3
    expect(rootMeanSquaredError(actual, forecast)).toBeCloseTo(Math.sqrt(108 / 3), 12); // (4 + 4 + 100) / 3
    expect(meanAbsolutePercentageError(actual, forecast)).toBeCloseTo((100 * (0.2 + 0.1 + 0.25)) / 3, 12);
  });

  it('MAPE is null when an actual is 0', () => {
    expect(meanAbsolutePercentageError([1, 0, 2], [1, 1, 1])).toBeNull();
  });

  it('MASE scales by the in-sample naive (or seasonal naive) one-step MAE', () => {
    const train = [1, 3, 2, 6, 5]; // naive steps 2, 1, 4, 1 → 2; lag-2 steps 1, 3, 3 → 7/3
    expect(naiveScale(train)).toBe(2);
    expect(naiveScale(train, 2)).toBeCloseTo(7 / 3, 12);
    expect(meanAbsoluteScaledError(actual, forecast, train)).toBeCloseTo(14 / 3 / 2, 12);
    expect(meanAbsoluteScaledError(actual, forecast, train, 2)).toBeCloseTo(14 / 3 / (7 / 3), 12);
    expect(meanAbsoluteScaledError(actual, forecast, [4, 4, 4])).toBeNull(); // constant: scale 0
    expect(naiveScale([4])).toBeNull();
  });

  it('MASE of the naive forecast on a straight line: 1 at horizon 1, (h + 1)/2 at horizon h', () => {
    // Every in-sample step is the slope c; the naive h-step errors are c, 2c, …, hc.
    const line = Array.from({ length: 30 }, (_, t) => 7 - 0.5 * t);
    const train = line.slice(0, 20);
    const last = train[train.length - 1]!;
    expect(meanAbsoluteScaledError(line.slice(20, 21), [last], train)).toBeCloseTo(1, 12);
    expect(meanAbsoluteScaledError(line.slice(20, 30), new Array(10).fill(last), train)).toBeCloseTo(5.5, 12);
  });

  it('refuses arrays of different or zero length', () => {
    expect(() => scoreForecast([1, 2], [1], [0, 1])).toThrow(RangeError);
    expect(() => meanAbsoluteError([], [])).toThrow(RangeError);
  });
});
