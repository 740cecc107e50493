import { Type, type Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.ts';

/**
 * Realised forecast error and drift, per model name (across its versions: the forecasts the name
 * served). Forecasts a model made from the end of its series (by a scheduled run, or a prediction
 * without `history`) are recorded in Redis; once actuals arrive (rows appended to the dataset), each
 * forecast point with an actual is scored against the model and against the naive forecast made at
 * the same origin (the last close then). Over the last `window` scored points, a name whose realised
 * MAE exceeds naive's by more than `margin` (a fraction: 0.1 is 10%) is flagged.
 *
 * Storage is bounded: per name, at most `max(64, window)` forecasts (the oldest origins are dropped),
 * each at most 365 points; keys expire `DRIFT_TTL_SECONDS` after the name's last recorded forecast.
 */

/** Forecasts kept per name, at least (the window may ask for more). */
export const MIN_FORECASTS_KEPT = 64;
/** A name that records no forecast for this long loses its forecasts and watch entries. */
export const DRIFT_TTL_SECONDS = 400 * 24 * 3600;

export const DriftStateSchema = Type.Object({
  name: Type.String({ description: 'Model name (every version of it)' }),
  flagged: Type.Boolean({ description: "Whether the realised MAE over the window exceeds naive's by more than the margin" }),
  realisedMae: Type.Union([Type.Number(), Type.Null()], { description: "MAE of the name's forecasts over the window's points; null before any" }),
  naiveMae: Type.Union([Type.Number(), Type.Null()], { description: 'MAE of the naive forecast (the last close at each origin) on the same points' }),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'realisedMae / naiveMae; null when naive made no error' }),
  points: Type.Integer({ description: 'Scored forecast points in the window (at most `window`)' }),
  window: Type.Integer({ description: 'DRIFT_WINDOW: a flag needs this many scored points' }),
  margin: Type.Number({ description: 'DRIFT_MARGIN' }),
  lastDate: Type.Union([Type.String(), Type.Null()], { description: 'Date of the newest scored point' }),
  flaggedSince: Type.Union([Type.String(), Type.Null()]),
  evaluatedAt: Type.String(),
});
export type DriftState = Static<typeof DriftStateSchema>;

/** One forecast a model made from the end of its series. */
export interface RecordedForecast {
  modelId: string;
  version: number;
  dataset: string;
  series: string;
  /** Date of the last actual the forecast was made from: its naive forecast is the close then. */
  origin: string;
  /** One date per forecast point, after `origin`. */
  dates: string[];
  forecast: number[];
  recordedAt: string;
}

/** A series' actuals, oldest first. */
export interface SeriesActuals {
  dates: readonly string[];
  closes: readonly number[];
}

/** Reads a series' current actuals; throws when the dataset or series is gone. */
export type ActualsReader = (dataset: string, series: string) => Promise<SeriesActuals>;

export interface DriftSettings {
  /** Scored points the realised error is measured over; a name is flagged only once it has them. */
  window: number;
  /** How much worse than naive, as a fraction, before a name is flagged. */
  margin: number;
}

/** KEYS: forecasts hash, origins zset, watch set. ARGV: field, forecast JSON, origin score, points, max kept, ttl, name. */
const recordScript = new LuaScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if not existing or #cjson.decode(existing).forecast < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
  if extra > 0 then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
    redis.call('HDEL', KEYS[1], unpack(oldest))
  end
end
redis.call('SADD', KEYS[3], ARGV[7])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return 1
`);

/** One scored point: a forecast's step whose actual is known. */
interface ScoredPoint {
  date: string;
  origin: string;
  modelError: number;
  naiveError: number;
}

/** The forecast points with known actuals, their model and naive errors; forecasts whose origin is not in the actuals are left out. */
export function scoreRecordedForecasts(forecasts: readonly RecordedForecast[], actuals: SeriesActuals): ScoredPoint[] {
  const closeOn = new Map<string, number>();
  actuals.dates.forEach((date, i) => closeOn.set(date, actuals.closes[i]!));
  const points: ScoredPoint[] = [];
  for (const recorded of forecasts) {
    const naive = closeOn.get(recorded.origin);
    if (naive === undefined) continue;
    recorded.dates.forEach((date, j) => {
      const actual = closeOn.get(date);
      if (actual === undefined) return;
      points.push({ date, origin: recorded.origin, modelError: Math.abs(actual - recorded.forecast[j]!), naiveError: Math.abs(actual - naive) });
    });
  }
  return points;
}

/** The drift state of `points` (any order): realised and naive MAE over the `window` newest, and the flag. */
export function assessDrift(name: string, points: readonly ScoredPoint[], settings: DriftSettings, previous: DriftState | undefined, now = new Date()): DriftState {
  const newest = [...points].sort((a, b) => (a.date === b.date ? (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0) : a.date < b.date ? -1 : 1)).slice(-settings.window);
  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
  const realisedMae = mean(newest.map((p) => p.modelError));
  const naiveMae = mean(newest.map((p) => p.naiveError));
  const full = newest.length >= settings.window;
  const flagged = full && realisedMae !== null && naiveMae !== null && realisedMae > naiveMae * (1 + settings.margin);
  return {
    name,
    flagged,
    realisedMae,
    naiveMae,
    ratio: realisedMae !== null && naiveMae !== null && naiveMae > 0 ? realisedMae / naiveMae : null,
    points: newest.length,
    window: settings.window,
    margin: settings.margin,
    lastDate: newest.at(-1)?.date ?? null,
    flaggedSince: flagged ? (previous?.flagged ? previous.flaggedSince : now.toISOString()) : null,
    evaluatedAt: now.toISOString(),
  };
}

/** What `evaluate` found, and whether the flag changed (the caller logs that). */
export interface DriftEvaluation {
  state: DriftState;
  changed: boolean;
}

/**
 * Recorded forecasts and drift states in Redis (see the module comment): `record` when a model
 * forecasts from the end of its series, `evaluate` when actuals may have arrived.
 */
export class DriftTracker {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly settings: DriftSettings,
  ) {}

  private key = (...parts: string[]) => [this.prefix, 'drift', ...parts].join(':');
  private stateKey = () => this.key('state');
  private watchKey = (dataset: string, series: string) => this.key('watch', dataset, series);

  /** Forecasts kept per name. */
  get kept(): number {
    return Math.max(MIN_FORECASTS_KEPT, this.settings.window);
  }

  /** Records a forecast of `name`; of two from the same model and origin, the longer is kept. */
  async record(name: string, forecast: RecordedForecast): Promise<void> {
    if (forecast.dates.length === 0 || forecast.dates.length !== forecast.forecast.length) throw new RangeError('a recorded forecast needs one date per point');
    // By SHA: every price prediction from the end of a series records its forecast.
    await recordScript.run(
      this.redis,
      [this.key('forecasts', name), this.key('origins', name), this.watchKey(forecast.dataset, forecast.series)],
      [`${forecast.modelId}|${forecast.origin}`, JSON.stringify(forecast), Date.parse(forecast.origin), forecast.forecast.length, this.kept, DRIFT_TTL_SECONDS, name],
    );
  }

  async forecasts(name: string): Promise<RecordedForecast[]> {
    const values = await this.redis.hvals(this.key('forecasts', name));
    return values.map((value) => JSON.parse(value) as RecordedForecast).sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  }

  /** Names with forecasts on a series: those whose drift new actuals of it may change. */
  async watchers(dataset: string, series: string): Promise<string[]> {
    return (await this.redis.smembers(this.watchKey(dataset, series))).sort();
  }

  /**
   * Scores a name's recorded forecasts against the actuals as they are now and stores its drift
   * state; undefined when it has no forecast whose origin the actuals still hold.
   */
  async evaluate(name: string, readActuals: ActualsReader, now = new Date()): Promise<DriftEvaluation | undefined> {
    const forecasts = await this.forecasts(name);
    const bySeries = new Map<string, RecordedForecast[]>();
    for (const forecast of forecasts) {
      const key = JSON.stringify([forecast.dataset, forecast.series]);
      bySeries.set(key, [...(bySeries.get(key) ?? []), forecast]);
    }
    const points: ScoredPoint[] = [];
    let readable = false;
    for (const [key, group] of bySeries) {
      const [dataset, series] = JSON.parse(key) as [string, string];
      let actuals: SeriesActuals;
      try {
        actuals = await readActuals(dataset, series);
      } catch {
        continue; // the dataset or series is gone: its forecasts can no longer be scored
      }
      readable = true;
      points.push(...scoreRecordedForecasts(group, actuals));
    }
    if (!readable) return undefined;
    const previous = await this.state(name);
    const state = assessDrift(name, points, this.settings, previous, now);
    await this.redis.hset(this.stateKey(), name, JSON.stringify(state));
    return { state, changed: (previous?.flagged ?? false) !== state.flagged };
  }

  async state(name: string): Promise<DriftState | undefined> {
    const json = await this.redis.hget(this.stateKey(), name);
    return json ? (JSON.parse(json) as DriftState) : undefined;
  }

  /** Every name's state, for metrics. */
  async states(): Promise<DriftState[]> {
    return Object.values(await this.redis.hgetall(this.stateKey())).map((json) => JSON.parse(json) as DriftState);
  }

  /** Forgets a name (its last version was deleted): forecasts, state; watch entries expire. */
  async forget(name: string): Promise<void> {
    await this.redis.multi().del(this.key('forecasts', name), this.key('origins', name)).hdel(this.stateKey(), name).exec();
  }
}

/** The log line of a flag that changed: a warning when a name starts drifting, info when it recovers. */
export function logDriftChange(log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }, evaluation: DriftEvaluation | undefined): void {
  if (!evaluation?.changed) return;
  const { state } = evaluation;
  const fields = { model: state.name, realisedMae: state.realisedMae, naiveMae: state.naiveMae, ratio: state.ratio, window: state.window, margin: state.margin };
  if (state.flagged) log.warn(fields, `model drift: realised error of ${state.name} exceeds naive's by more than the margin`);
  else log.info(fields, `model drift cleared: ${state.name} is back within the margin of naive`);
}
