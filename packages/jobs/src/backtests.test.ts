import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import {
  BacktestPayloadSchema,
  defaultSeasonalPeriod,
  planBacktestFolds,
  requiredBacktestLength,
  summarizeBacktest,
  summarizeMethod,
  type BacktestFoldResult,
  type BacktestParentData,
  type MethodFold,
} from './backtests.ts';

const method = (mae: number, mase: number | null, coverage: number | null, points = 2): MethodFold => ({
  label: 'm',
  forecast: new Array<number>(points).fill(1),
  scores: { mae, rmse: mae * 2, mape: null, mase },
  intervals: coverage === null ? null : { quantiles: [0.1, 0.5, 0.9], lower: [0, 0], upper: [2, 2], coverage },
});

const fold = (index: number, model: MethodFold, naive: MethodFold): BacktestFoldResult => ({
  index,
  trainEnd: 10 + index,
  testEnd: 12 + index,
  origin: null,
  dates: [],
  actual: [1, 1],
  model,
  baselines: { naive, seasonalNaive: null, drift: naive },
  durationMs: 1,
});

const parent: BacktestParentData = { dataset: 'd', series: 's', architecture: 'linear', horizon: 2, step: 1, seasonalPeriod: 7, seriesLength: 20, children: {} };

describe('planBacktestFolds', () => {
  it('places origins step apart, the last test window ending at the series end, earliest first', () => {
    expect(planBacktestFolds(100, { folds: 3, horizon: 10, step: 5, minTrain: 20 })).toEqual([
      { index: 0, trainEnd: 80, testEnd: 90 },
      { index: 1, trainEnd: 85, testEnd: 95 },
      { index: 2, trainEnd: 90, testEnd: 100 },
    ]);
  });

  it('needs the first fold’s training, then the steps and a horizon', () => {
    expect(requiredBacktestLength({ folds: 5, horizon: 10, step: 10, minTrain: 70 })).toBe(70 + 40 + 10);
    expect(planBacktestFolds(120, { folds: 5, horizon: 10, step: 10, minTrain: 70 })[0]!.trainEnd).toBe(70);
    expect(() => planBacktestFolds(119, { folds: 5, horizon: 10, step: 10, minTrain: 70 })).toThrow(/need 120 points; the series has 119/);
  });
});

describe('the backtest body', () => {
  it("takes the price family's specification, with folds, horizon and step", () => {
    const body = Value.Default(BacktestPayloadSchema, { dataset: 'd', series: 's', architecture: 'lstm', params: { window: 5 }, holdout: 3, seed: 1 });
    expect(Value.Check(BacktestPayloadSchema, body)).toBe(true);
    expect(body).toMatchObject({ folds: 5, horizon: 10 });
    for (const bad of [{ folds: 0 }, { folds: 51 }, { step: 0 }, { architecture: 'prophet' }, { params: { units: 3 } }, { name: 'x' }, { kind: 'textgen' }]) {
      expect(Value.Check(BacktestPayloadSchema, { dataset: 'd', series: 's', ...bad }), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('defaultSeasonalPeriod', () => {
  const every = (days: number, count = 10) => Array.from({ length: count }, (_, i) => new Date(Date.UTC(2016, 0, 1) + i * days * 86_400_000).toISOString().slice(0, 10));
  it('reads the spacing of the dates', () => {
    expect(defaultSeasonalPeriod(every(1))).toBe(7);
    expect(defaultSeasonalPeriod(every(7))).toBe(52);
    expect(defaultSeasonalPeriod(['2016-01-31', '2016-02-29', '2016-03-31', '2016-04-30'])).toBe(12);
    expect(defaultSeasonalPeriod(every(91))).toBe(4);
    expect(defaultSeasonalPeriod([])).toBe(7);
  });
});

describe('summarizeBacktest', () => {
  it('means each score over the folds, pools coverage over the points, and states skill against naive', () => {
    const result = summarizeBacktest(parent, [fold(1, method(2, 1.5, null), method(1, 1, 0.5, 2)), fold(0, method(1, 0.5, null), method(2, 1, 1, 2))], { '2': 'diverged' });
    expect(result.folds.map((f) => f.index)).toEqual([0, 1]);
    expect(result.summary.model).toEqual({ mae: 1.5, rmse: 3, mape: null, mase: 1, coverage: null, folds: 2 });
    expect(result.summary.naive).toEqual({ mae: 1.5, rmse: 3, mape: null, mase: 1, coverage: 0.75, folds: 2 });
    expect(result.summary.seasonalNaive).toBeNull();
    expect(result.skill).toEqual({ relativeMase: 1, foldsBeatingNaive: 1, beatsNaive: false });
    expect(result.failed).toEqual({ '2': 'diverged' });
  });

  it('leaves MASE out of a fold where it is undefined', () => {
    expect(summarizeMethod([method(1, null, null), method(3, 2, null)]).mase).toBe(2);
    expect(summarizeMethod([method(1, null, null)]).mase).toBeNull();
    const pooled = summarizeMethod([method(1, 1, 1, 4), method(1, 1, 0, 12)]);
    expect(pooled.coverage).toBe(0.25);
  });
});
