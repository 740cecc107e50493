import { describe, expect, it } from 'vitest';
import { InvalidSeriesError, ModelConfigError, NotEnoughDataError } from '../../errors.ts';
import { drift } from './drift.ts';
import { fitTrendLine, linearTrend } from './linear-trend.ts';
import { naive, seasonalNaive } from './naive.ts';
import { restoreForecaster } from './restore.ts';

const series = [10, 12, 11, 15, 14, 18, 17];

describe('naive', () => {
  it('repeats the last value; fits each point with the one before', () => {
    const model = naive().fit(series);
    expect(model.forecast(3)).toEqual([17, 17, 17]);
    expect(model.fitted).toEqual([Number.NaN, 10, 12, 11, 15, 14, 18]);
    expect(model.residuals).toEqual([Number.NaN, 2, -1, 4, -1, 4, -1]);
    expect(naive().fit([5]).forecast(2)).toEqual([5, 5]);
  });

  it('refuses an empty series and non-finite values', () => {
    expect(() => naive().fit([])).toThrow(NotEnoughDataError);
    expect(() => naive().fit([1, Number.POSITIVE_INFINITY])).toThrow(InvalidSeriesError);
  });
});

describe('seasonal naive', () => {
  it('repeats the last season, in phase', () => {
    const model = seasonalNaive(3).fit(series);
    // last season: points 4, 5, 6 = 14, 18, 17; the forecast continues at point 7 = phase of point 4
    expect(model.forecast(7)).toEqual([14, 18, 17, 14, 18, 17, 14]);
    expect(model.fitted).toEqual([Number.NaN, Number.NaN, Number.NaN, 10, 12, 11, 15]);
    expect(model.label).toBe('seasonalNaive(3)');
  });

  it('needs one full season and a positive integer period', () => {
    expect(() => seasonalNaive(7).fit([1, 2, 3])).toThrow(NotEnoughDataError);
    expect(() => seasonalNaive(0)).toThrow(ModelConfigError);
    expect(() => seasonalNaive(2.5)).toThrow(ModelConfigError);
  });
});

describe('drift', () => {
  it('extends the line from the first to the last point (R rwf with drift)', () => {
    const model = drift().fit(series); // slope (17 − 10) / 6
    const slope = 7 / 6;
    expect(model.forecast(3)).toEqual([17 + slope, 17 + 2 * slope, 17 + 3 * slope]);
    expect(model.fitted[1]).toBeCloseTo(10 + slope, 12);
    expect(() => drift().fit([1])).toThrow(NotEnoughDataError);
  });
});

describe('linear trend', () => {
  it('is the least-squares line on t = 0 … n − 1, extended', () => {
    // t̄ = 3, ȳ = 97/7; Σ(t − t̄)(y − ȳ) = 3·(17 − 10) + 2·(18 − 12) + 1·(14 − 11) = 36, Σ(t − t̄)² = 28
    const line = fitTrendLine(series);
    expect(line.slope).toBeCloseTo(36 / 28, 12);
    expect(line.intercept).toBeCloseTo(97 / 7 - (3 * 36) / 28, 12);
    expect(linearTrend().fit(series).forecast(2)).toEqual([line.intercept + 7 * line.slope, line.intercept + 8 * line.slope]);
    expect(fitTrendLine([1, 3, 5], 1)).toEqual({ intercept: -1, slope: 2 });
  });
});

describe('save and load', () => {
  it('every baseline forecasts the same after a JSON round trip', () => {
    for (const forecaster of [naive(), seasonalNaive(3), drift(), linearTrend()]) {
      const model = forecaster.fit(series);
      const again = restoreForecaster(JSON.parse(JSON.stringify(model.toState())));
      expect(again.forecast(5)).toEqual(model.forecast(5));
      expect(again.fitted).toEqual(model.fitted);
      expect(again.method).toBe(forecaster.method);
    }
  });
});
