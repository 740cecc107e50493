import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { TrainPayloadSchema } from '@mlq/specs';
import { DriftStateSchema } from './drift.ts';

/**
 * Scheduled retraining: a BullMQ job scheduler on the `batch` queue produces a `retrain` job at
 * each tick (a cron pattern or an `every` interval), and that job enqueues the training (a `train`
 * job with its own `tr_` id, recorded as a user of its dataset like any training), waits for it as
 * its child, then records the new model's forecast for drift tracking. Each run trains the next
 * version of the same model name.
 */

/** The job name the schedulers produce. */
export const RETRAIN_JOB_NAME = 'retrain';
/** Longest cron pattern accepted. */
export const MAX_CRON_PATTERN_LENGTH = 100;
/** Runs kept per schedule for `GET /v1/schedules/:id`. */
export const SCHEDULE_RUNS_KEPT = 20;

/** Schedule ids: `sc_` and 20 hex digits (a scheduler's jobs are `repeat:<schedule id>:<due time ms>`). */
export const createScheduleId = () => `sc_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
export const isScheduleId = (id: string) => /^sc_[0-9a-f]{20}$/.test(id);

export const SchedulePayloadSchema = Type.Object(
  {
    train: TrainPayloadSchema,
    every: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600 * 1000, description: 'Interval between runs, in milliseconds (at least SCHEDULE_MIN_INTERVAL_MS); or give `pattern`' }),
    ),
    pattern: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_CRON_PATTERN_LENGTH,
        description: 'Cron pattern of 5 fields (minute hour day-of-month month day-of-week), e.g. `0 6 * * *` (every day at 06:00); or give `every`',
      }),
    ),
    tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Time zone of `pattern` (IANA name, e.g. `Europe/Paris`). Default UTC' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Runs after which the schedule stops producing jobs' })),
  },
  { additionalProperties: false },
);
export type SchedulePayload = Static<typeof SchedulePayloadSchema>;

/** Data of each `retrain` job (the scheduler's template), plus the training it started once it has. */
export const RetrainDataSchema = Type.Object({
  scheduleId: Type.String(),
  train: TrainPayloadSchema,
  createdAt: Type.String(),
  trainJobId: Type.Optional(Type.String({ description: 'The training this run enqueued (set once it has)' })),
});
export type RetrainData = Static<typeof RetrainDataSchema>;

export const RetrainResultSchema = Type.Object({
  scheduleId: Type.String(),
  trainJobId: Type.Union([Type.String(), Type.Null()]),
  skipped: Type.Union([Type.String(), Type.Null()], { description: 'Why no training ran this time (the previous one was still going)' }),
  modelId: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.Integer(), Type.Null()]),
  forecastRecorded: Type.Boolean({ description: "Whether the new model's forecast was recorded for drift tracking (price models of dated series)" }),
  drift: Type.Union([DriftStateSchema, Type.Null()]),
});
export type RetrainResult = Static<typeof RetrainResultSchema>;

/** One run of a schedule, as `GET /v1/schedules/:id` lists them, newest first. */
export const ScheduleRunSchema = Type.Object({
  jobId: Type.String({ description: 'The `retrain` job of this tick' }),
  at: Type.String({ description: 'When the tick was due' }),
  state: Type.Union(['training', 'completed', 'failed', 'skipped'].map((state) => Type.Literal(state))),
  trainJobId: Type.Union([Type.String(), Type.Null()]),
  modelId: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type ScheduleRun = Static<typeof ScheduleRunSchema>;

/** A schedule's runs outlive its last run by this long (a run that ends after its schedule was removed leaves no list forever). */
const SCHEDULE_RUNS_TTL_SECONDS = 400 * 24 * 3600;

/** KEYS: the runs list. ARGV: retrain job id, run JSON, runs kept, ttl. */
const recordRunScript = `
redis.call('EXPIRE', KEYS[1], ARGV[4])
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for i = 1, #entries do
  if cjson.decode(entries[i]).jobId == ARGV[1] then
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    return 0
  end
end
redis.call('LPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * Each schedule's latest runs in Redis: one capped list per schedule, newest first, rewritten in
 * place as a run moves from `training` to its end. Removed with the schedule.
 */
export class ScheduleRuns {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (scheduleId: string) => `${this.prefix}:schedule-runs:${scheduleId}`;

  /** Adds a run at the front, or replaces the entry of the same retrain job where it stands. */
  async record(scheduleId: string, run: ScheduleRun): Promise<void> {
    await this.redis.eval(recordRunScript, 1, this.key(scheduleId), run.jobId, JSON.stringify(run), SCHEDULE_RUNS_KEPT, SCHEDULE_RUNS_TTL_SECONDS);
  }

  /** Newest first. */
  async list(scheduleId: string, limit = SCHEDULE_RUNS_KEPT): Promise<ScheduleRun[]> {
    const entries = await this.redis.lrange(this.key(scheduleId), 0, limit - 1);
    return entries.map((entry) => JSON.parse(entry) as ScheduleRun);
  }

  async remove(scheduleId: string): Promise<void> {
    await this.redis.del(this.key(scheduleId));
  }
}
