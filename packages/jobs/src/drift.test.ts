import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { assessDrift, DriftTracker, logDriftChange, MIN_FORECASTS_KEPT, scoreRecordedForecasts, type RecordedForecast, type SeriesActuals } from './drift.ts';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.close();
});

const day = (n: number) => new Date(Date.UTC(2020, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);

/** Daily actuals from day 0: `value(t)` for t < length. */
const actualsOf = (length: number, value: (t: number) => number): SeriesActuals => ({
  dates: Array.from({ length }, (_, t) => day(t)),
  closes: Array.from({ length }, (_, t) => value(t)),
});

/** A forecast made at day `origin` of `horizon` points, each `forecastOf(t)`. */
const forecastAt = (origin: number, horizon: number, forecastOf: (t: number) => number, modelId = 'm_1', series = 's'): RecordedForecast => ({
  modelId,
  version: 1,
  dataset: 'ds_1',
  series,
  origin: day(origin),
  dates: Array.from({ length: horizon }, (_, j) => day(origin + 1 + j)),
  forecast: Array.from({ length: horizon }, (_, j) => forecastOf(origin + 1 + j)),
  recordedAt: new Date().toISOString(),
});

describe('scoring recorded forecasts', () => {
  it('scores the points with actuals against the model and the naive forecast at the same origin', () => {
    const actuals = actualsOf(12, (t) => 10 + t);
    const points = scoreRecordedForecasts([forecastAt(9, 5, (t) => 10 + t + 1)], actuals);
    // Days 10 and 11 have actuals; naive is the close of day 9 (19).
    expect(points).toEqual([
      { date: day(10), origin: day(9), modelError: 1, naiveError: 1 },
      { date: day(11), origin: day(9), modelError: 1, naiveError: 2 },
    ]);
    expect(scoreRecordedForecasts([forecastAt(40, 3, () => 1)], actuals)).toEqual([]); // the origin is not in the actuals
  });

  it('flags once the window is full and the realised error passes naive’s by the margin', () => {
    const point = (date: number, modelError: number, naiveError: number) => ({ date: day(date), origin: day(0), modelError, naiveError });
    const settings = { window: 3, margin: 0.1 };
    const now = new Date('2021-01-01T00:00:00Z');
    expect(assessDrift('a', [point(1, 5, 1), point(2, 5, 1)], settings, undefined, now)).toMatchObject({ flagged: false, points: 2, ratio: 5 });
    const flagged = assessDrift('a', [point(1, 5, 1), point(2, 5, 1), point(3, 5, 1)], settings, undefined, now);
    expect(flagged).toMatchObject({ flagged: true, points: 3, realisedMae: 5, naiveMae: 1, ratio: 5, lastDate: day(3), flaggedSince: now.toISOString() });
    // Within the margin: 1.09 × naive is not drift; only the newest `window` points count.
    expect(assessDrift('a', [point(1, 100, 1), point(2, 1.09, 1), point(3, 1.09, 1), point(4, 1.09, 1)], settings, flagged, now)).toMatchObject({ flagged: false, flaggedSince: null });
    const later = assessDrift('a', [point(1, 5, 1), point(2, 5, 1), point(3, 5, 1)], settings, flagged, new Date('2021-02-01T00:00:00Z'));
    expect(later.flaggedSince).toBe(now.toISOString());
  });
});

describe('DriftTracker', () => {
  const settings = { window: 10, margin: 0.1 };

  it('flags a name whose series changes behaviour, not one whose behaviour holds', async () => {
    const tracker = new DriftTracker(client, `${redis.prefix}-a`, settings);
    // Both series rose by 1 a day for 30 days; the models forecast the rise to go on.
    const rising = (t: number) => 100 + t;
    for (const [name, series] of [
      ['holds', 'steady'],
      ['breaks', 'broken'],
    ] as const) {
      for (const origin of [29, 32]) await tracker.record(name, forecastAt(origin, 7, rising, `m_${name}`, series));
    }
    const actuals: Record<string, SeriesActuals> = {
      steady: actualsOf(40, (t) => rising(t) + (t % 2 === 0 ? 0.2 : -0.2)),
      broken: actualsOf(40, (t) => (t < 30 ? rising(t) : rising(29) - (t - 29) * 0.5)),
    };
    const read = async (_dataset: string, series: string) => actuals[series]!;
    expect(await tracker.watchers('ds_1', 'steady')).toEqual(['holds']);
    const holds = await tracker.evaluate('holds', read);
    const breaks = await tracker.evaluate('breaks', read);
    expect(holds).toMatchObject({ changed: false, state: { flagged: false, points: 10 } });
    expect(holds!.state.ratio).toBeLessThan(0.2);
    expect(breaks).toMatchObject({ changed: true, state: { flagged: true, points: 10 } });
    expect(breaks!.state.ratio).toBeGreaterThan(2);
    expect((await tracker.states()).map((s) => [s.name, s.flagged]).sort()).toEqual([
      ['breaks', true],
      ['holds', false],
    ]);
    expect((await tracker.evaluate('breaks', read))?.changed).toBe(false); // still flagged: no new log line

    const lines: string[] = [];
    const log = { warn: (_: object, msg: string) => lines.push(`warn ${msg}`), info: (_: object, msg: string) => lines.push(`info ${msg}`) };
    logDriftChange(log, breaks);
    logDriftChange(log, holds);
    expect(lines).toEqual(["warn model drift: realised error of breaks exceeds naive's by more than the margin"]);

    await tracker.forget('breaks');
    expect(await tracker.state('breaks')).toBeUndefined();
    expect(await tracker.forecasts('breaks')).toEqual([]);
    expect(await tracker.evaluate('nothing-recorded', read)).toBeUndefined();
  });

  it('keeps the longer of two forecasts from one model and origin, and a bounded number per name', async () => {
    const tracker = new DriftTracker(client, `${redis.prefix}-b`, settings);
    await tracker.record(
      'n',
      forecastAt(5, 10, () => 1),
    );
    await tracker.record(
      'n',
      forecastAt(5, 3, () => 2),
    );
    expect((await tracker.forecasts('n')).map((f) => f.forecast.length)).toEqual([10]);
    for (let origin = 0; origin < MIN_FORECASTS_KEPT + 6; origin++)
      await tracker.record(
        'n',
        forecastAt(origin, 2, () => 1, 'm_2'),
      );
    const kept = await tracker.forecasts('n');
    expect(kept).toHaveLength(MIN_FORECASTS_KEPT);
    expect(kept[0]!.origin).toBe(day(6)); // the oldest origins went first
    expect(await client.ttl(`${redis.prefix}-b:drift:forecasts:n`)).toBeGreaterThan(0);
    await expect(tracker.record('n', { ...forecastAt(1, 2, () => 1), dates: [day(2)] })).rejects.toThrow(/one date per point/);
  });
});
