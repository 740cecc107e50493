import { randomUUID } from 'node:crypto';
import type { DefaultJobOptions } from 'bullmq';
import type { TSchema } from '@sinclair/typebox';
import { PredictPayloadSchema, PredictResultSchema, TrainPayloadSchema, TrainResultSchema } from '@mlq/specs';
import { BatchParentDataSchema, BatchResultSchema, ForecastPayloadSchema, ForecastResultSchema } from './schemas.ts';
import { BacktestFoldPayloadSchema, BacktestFoldResultSchema, BacktestParentDataSchema, BacktestResultSchema } from './backtests.ts';
import { RETRAIN_JOB_NAME, RetrainDataSchema, RetrainResultSchema } from './schedules.ts';

/**
 * The queues: workers are scaled per queue (GPU nodes on `train`, CPU pods on `predict`). `batch`
 * holds the cheap coordinating jobs: batch and backtest parents, which gather their children, and
 * the scheduled `retrain` jobs, which enqueue a training and wait for it.
 */
export const QueueName = {
  train: 'train',
  predict: 'predict',
  batch: 'batch',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
export const queueNames: readonly QueueName[] = Object.values(QueueName);

const day = 24 * 3600;

/**
 * Job catalog: for each job name its queue, payload and result schemas, and default options.
 * Retention bounds keep Redis from growing forever; attempts + exponential backoff retry
 * transient failures, while bad payloads fail at once (UnrecoverableError in the worker).
 */
export const jobCatalog = {
  train: {
    queue: QueueName.train,
    idPrefix: 'tr',
    payload: TrainPayloadSchema,
    result: TrainResultSchema,
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { age: 7 * day, count: 1_000 },
      removeOnFail: { age: 30 * day, count: 5_000 },
    },
  },
  forecast: {
    queue: QueueName.train,
    idPrefix: 'fc',
    payload: ForecastPayloadSchema,
    result: ForecastResultSchema,
    options: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 2_000 },
      // Children are kept as long as their batch so GET /v1/batches/:id can show them.
      removeOnComplete: { age: 7 * day, count: 20_000 },
      removeOnFail: { age: 30 * day, count: 20_000 },
    },
  },
  predict: {
    queue: QueueName.predict,
    idPrefix: 'pr',
    payload: PredictPayloadSchema,
    result: PredictResultSchema,
    options: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: day, count: 10_000 },
      removeOnFail: { age: 7 * day, count: 5_000 },
    },
  },
  batch: {
    queue: QueueName.batch,
    idPrefix: 'bt',
    payload: BatchParentDataSchema,
    result: BatchResultSchema,
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 7 * day, count: 1_000 },
      removeOnFail: { age: 30 * day, count: 1_000 },
    },
  },
  backtest: {
    queue: QueueName.batch,
    idPrefix: 'bk',
    payload: BacktestParentDataSchema,
    result: BacktestResultSchema,
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 7 * day, count: 1_000 },
      removeOnFail: { age: 30 * day, count: 1_000 },
    },
  },
  /** A backtest child: one origin, trained on the points before it. */
  'backtest-fold': {
    queue: QueueName.train,
    idPrefix: 'bf',
    payload: BacktestFoldPayloadSchema,
    result: BacktestFoldResultSchema,
    options: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { age: 7 * day, count: 20_000 },
      removeOnFail: { age: 30 * day, count: 20_000 },
    },
  },
  /** What a schedule produces at each tick (ids `repeat:<schedule id>:<due ms>`, see `parseJobId`). */
  [RETRAIN_JOB_NAME]: {
    queue: QueueName.batch,
    idPrefix: 'rt',
    payload: RetrainDataSchema,
    result: RetrainResultSchema,
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: 30 * day, count: 1_000 },
      removeOnFail: { age: 30 * day, count: 1_000 },
    },
  },
} as const satisfies Record<string, { queue: QueueName; idPrefix: string; payload: TSchema; result: TSchema; options: DefaultJobOptions }>;

export type JobName = keyof typeof jobCatalog;
export const jobNames = Object.keys(jobCatalog) as JobName[];

/**
 * Job ids carry their job name's prefix (`tr_…`, `pr_…`), so `GET /v1/jobs/:id` finds the queue
 * without searching, and ids never collide across queues.
 */
export function createJobId(name: JobName): string {
  return `${jobCatalog[name].idPrefix}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

/** The job name and queue a job id belongs to, or undefined for ids this system did not make. */
export function parseJobId(id: string): { name: JobName; queue: QueueName } | undefined {
  // A schedule's tick: BullMQ names the jobs of a job scheduler `repeat:<scheduler id>:<due time ms>`.
  if (/^repeat:sc_[0-9a-f]{20}:[0-9]{1,16}$/.test(id)) return { name: RETRAIN_JOB_NAME, queue: jobCatalog[RETRAIN_JOB_NAME].queue };
  const match = /^([a-z]{2})_[0-9a-f]{20}$/.exec(id);
  if (!match) return undefined;
  const name = jobNames.find((n) => jobCatalog[n].idPrefix === match[1]);
  return name ? { name, queue: jobCatalog[name].queue } : undefined;
}

/** Pub/sub channel on which the API asks workers to cancel an active job. */
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;
/** Key marking a job as cancelled, for a worker that picks it up after the pub/sub message passed. */
export const cancelKey = (prefix: string, jobId: string) => `${prefix}:cancelled:${jobId}`;
export const CANCEL_KEY_TTL_SECONDS = 7 * 24 * 3600;
/** failedReason of a job that was cancelled; the API reports its state as `cancelled`. */
export const CANCELLED_REASON = 'cancelled';
