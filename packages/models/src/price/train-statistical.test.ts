import { describe, expect, it } from 'vitest';
import { statisticalPriceArchitectures, statisticalFitPoints, requiredSeriesLength } from '@mlq/specs';
import { memoryArtifacts } from '../io.ts';
import { ModelConfigError, NotEnoughDataError } from '../errors.ts';
import { evaluateByBacktest } from './evaluation.ts';
import { ets } from './forecasting/ets.ts';
import type { AutoState } from './forecasting/forecaster.ts';
import { seededGaussian } from './forecasting/testing/random.ts';
import { simulateRandomWalkWithNoise } from './forecasting/testing/simulate.ts';
import { loadPriceModel } from './price-model.ts';
import { statisticalForecaster } from './statistical-forecasters.ts';
import { trainPriceModel } from './train.ts';

/** A positive random walk with weekly swings: long enough for 20 backtest origins of horizon 10. */
const walk = simulateRandomWalkWithNoise({ length: 160, start: 500, stepSigma: 4, noiseSigma: 2, seed: 11 }).map((value, t) => value + 15 * Math.sin((2 * Math.PI * t) / 7));

/** A steady trend with little noise: drift and the trended models beat naive on it by far. */
const trend = (() => {
  const gaussian = seededGaussian(5);
  return Array.from({ length: 150 }, (_, t) => 100 + 3 * t + gaussian());
})();

const roundTrip = async (model: Awaited<ReturnType<typeof trainPriceModel>>) => {
  const io = memoryArtifacts();
  await model.save(io);
  expect([...io.files.keys()]).toEqual(['metadata.json']);
  return loadPriceModel(io);
};

describe('statistical price models: train, save, load', () => {
  it.each(statisticalPriceArchitectures)('%s: forecasts with ordered intervals and skill, and loads to forecast identically', async (architecture) => {
    const model = await trainPriceModel(walk, { kind: architecture, horizon: 10 });
    const result = await model.forecastWithIntervals();
    expect(result.forecast).toHaveLength(10);
    expect(result.intervals!.map((band) => band.quantile)).toEqual([0.1, 0.5, 0.9]);
    const [lower, median, upper] = result.intervals!.map((band) => band.values);
    for (let j = 0; j < 10; j++) {
      expect(lower![j]).toBeLessThanOrEqual(median![j]!);
      expect(median![j]).toBeLessThanOrEqual(upper![j]!);
    }
    // The band grows with the horizon on a random walk: step 10 is wider than step 1.
    expect(upper![9]! - lower![9]!).toBeGreaterThan(upper![0]! - lower![0]!);
    expect(result.skill).toMatchObject({ method: architecture === 'auto' ? 'nested-backtest' : 'backtest', folds: 20, horizon: 10, step: 3 });
    expect(result.skill!.relativeToNaive).toBeCloseTo(result.skill!.mase / result.skill!.naiveMase, 12);
    expect(result.unavailable).toEqual({});
    expect(model.metrics.holdout).toBe(10);
    expect(model.metadata).toMatchObject({ kind: architecture, trainedPoints: 160, params: null, scaler: null });

    const loaded = await roundTrip(model);
    expect(loaded.metadata).toEqual(JSON.parse(JSON.stringify(model.metadata)));
    expect(await loaded.forecastWithIntervals(7)).toEqual(await model.forecastWithIntervals(7));
    const history = walk.slice(0, 90);
    expect(await loaded.forecastWithIntervals(5, history)).toEqual(await model.forecastWithIntervals(5, history));
    expect(loaded.byteSize()).toBe(model.byteSize());
    expect(model.byteSize()).toBeGreaterThan(JSON.stringify(model.metadata.statistical).length);
    loaded.dispose();
    await expect(loaded.forecast()).rejects.toThrow(/disposed/);
  });

  it("naive's skill is exactly naive's; drift and auto beat naive on a steady trend", async () => {
    const naiveModel = await trainPriceModel(trend, { kind: 'naive' });
    expect(naiveModel.evaluation.skill).toMatchObject({ relativeToNaive: 1, beatsNaive: false });
    for (const kind of ['drift', 'auto'] as const) {
      const model = await trainPriceModel(trend, { kind });
      expect(model.evaluation.skill!.beatsNaive, kind).toBe(true);
      expect(model.evaluation.skill!.relativeToNaive, kind).toBeLessThan(0.2);
    }
    const auto = await trainPriceModel(trend, { kind: 'auto' });
    expect(auto.method).not.toBe('auto: naive');
  });

  it('auto records its choice with every candidate, and measures that choice by a nested backtest (the fits shared across folds change nothing)', async () => {
    const model = await trainPriceModel(walk, { kind: 'auto', horizon: 10 });
    const { selection } = model.metadata.statistical!.forecaster as AutoState;
    expect(selection.candidates.map((candidate) => candidate.label)).toEqual(['naive', 'drift', 'ets(auto)', 'theta', 'optimizedTheta']);
    expect(model.method).toBe(`auto: ${(model.metadata.statistical!.forecaster as AutoState).model.label}`);
    // The same evaluation without shared fits: every fold refits every candidate.
    const unshared = await evaluateByBacktest(walk, statisticalForecaster('auto', {}, 10), { horizon: 10, quantiles: [0.1, 0.5, 0.9], scale: 'relative', method: 'nested-backtest' });
    expect(model.evaluation).toEqual(unshared);
  });

  it('auto falls back to naive on a short series and says why there are no intervals', async () => {
    const short = walk.slice(0, 15);
    const model = await trainPriceModel(short, { kind: 'auto', horizon: 10, holdout: 3 });
    const { selection } = model.metadata.statistical!.forecaster as AutoState;
    expect(selection).toMatchObject({ chosen: 'naive', reason: 'too-short', folds: 0 });
    expect(model.method).toBe('auto: naive');
    const result = await model.forecastWithIntervals();
    expect(result.forecast).toEqual(new Array(10).fill(short.at(-1)));
    expect(result.intervals).toBeNull();
    expect(result.unavailable.intervals).toMatch(/^2 evaluation origins: too few errors per step for quantiles 0.1–0.9 \(9 needed\)$/);
    // Its skill comes from the origins there are: naive's own, as auto fell back in each.
    expect(result.skill).toMatchObject({ folds: 2, relativeToNaive: 1, beatsNaive: false });
  });

  it('gives no intervals past the calibrated horizon, and says so', async () => {
    const model = await trainPriceModel(walk, { kind: 'ets', horizon: 5 });
    const result = await model.forecastWithIntervals(8);
    expect(result.forecast).toHaveLength(8);
    expect(result.intervals).toBeNull();
    expect(result.unavailable.intervals).toMatch(/calibrated for 5 steps .* this forecast has 8: train with horizon 8/);
    expect((await model.forecastWithIntervals(5)).intervals).toHaveLength(3);
  });

  it('takes quantiles and period from the spec, sorted and bounded, and refuses what the architecture does not take', async () => {
    const model = await trainPriceModel(walk, { kind: 'seasonal-naive', params: { quantiles: [0.95, 0.05, 0.5] } });
    expect(model.params).toEqual({ period: 7, quantiles: [0.05, 0.5, 0.95] });
    expect(model.method).toBe('seasonalNaive(7)');
    expect((await model.forecastWithIntervals()).intervals!.map((band) => band.quantile)).toEqual([0.05, 0.5, 0.95]);
    await expect(trainPriceModel(walk, { kind: 'ets', params: { period: 7 } })).rejects.toThrow(new ModelConfigError('period', 'is not a price ets parameter (known: quantiles)'));
    await expect(trainPriceModel(walk, { kind: 'auto', params: { window: 5 } })).rejects.toThrow(/window is not a price auto parameter \(known: period, quantiles\)/);
    await expect(trainPriceModel(walk, { kind: 'naive', params: { quantiles: [0.01] } })).rejects.toThrow('quantiles[0] must be >= 0.05, got 0.01');
    const theta = await trainPriceModel(walk, { kind: 'theta', params: { period: 7 } });
    expect(theta.params).toEqual({ period: 7, quantiles: [0.1, 0.5, 0.9] });
  });

  it('refuses a series shorter than the spec requires, whose minimum admits what the forecasters fit on', async () => {
    for (const architecture of statisticalPriceArchitectures) {
      const specification = statisticalForecaster(architecture, {}, 10);
      expect(statisticalFitPoints(architecture, undefined), architecture).toBeGreaterThanOrEqual(specification.minLength);
      const needed = requiredSeriesLength(architecture, undefined, 10);
      await expect(trainPriceModel(walk.slice(0, needed - 1), { kind: architecture })).rejects.toThrow(NotEnoughDataError);
      await expect(trainPriceModel(walk.slice(0, needed), { kind: architecture })).resolves.toBeDefined();
    }
  });

  it('refits on history: the specification (ets), the candidate auto chose, or auto itself on a history too short for it', async () => {
    const model = await trainPriceModel(trend, { kind: 'ets' });
    const history = trend.slice(0, 60);
    expect(await model.forecast(4, history)).toEqual(ets().fit(history).forecast(4));
    const auto = await trainPriceModel(trend, { kind: 'auto' });
    const chosen = (auto.metadata.statistical!.forecaster as AutoState).selection.chosen;
    const { method } = await auto.forecastWithIntervals(4, history);
    expect(method.startsWith('auto: ')).toBe(true);
    expect(chosen).not.toBe('naive');
    const tiny = await auto.forecastWithIntervals(3, [10, 11]);
    expect(tiny.method).toBe('auto: naive');
    expect(tiny.forecast).toEqual([11, 11, 11]);
  });

  it('covers about 80% of what follows with its 80% band on random walks with known noise', async () => {
    let inside = 0;
    let total = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const path = simulateRandomWalkWithNoise({ length: 130, start: 1000, stepSigma: 10, noiseSigma: 3, seed });
      const model = await trainPriceModel(path.slice(0, 120), { kind: 'naive', params: { quantiles: [0.1, 0.9] } });
      const { intervals } = await model.forecastWithIntervals(10);
      path.slice(120).forEach((actual, j) => {
        total++;
        if (actual >= intervals![0]!.values[j]! && actual <= intervals![1]!.values[j]!) inside++;
      });
    }
    // 300 actuals; a 75–85% target with room for the sampling error of 30 paths.
    expect(inside / total).toBeGreaterThan(0.7);
    expect(inside / total).toBeLessThan(0.92);
  });
});
