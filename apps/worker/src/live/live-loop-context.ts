import { Queue } from 'bullmq';
import { DriftTracker, QueueName, ScheduleRuns, UsageIndex, type WorkerConfig } from '@mlq/jobs';
import type { Redis } from 'ioredis';

/**
 * What the backtest and schedule processors need beyond a processor's context: queues to add
 * jobs to (a schedule's training) and read parents from (a backtest's progress), the usage index a
 * training is recorded in, the forecasts and drift states, and each schedule's runs.
 */
export interface LiveLoopContext {
  queues: { train: Queue; batch: Queue };
  usage: UsageIndex;
  drift: DriftTracker;
  runs: ScheduleRuns;
  close(): Promise<void>;
}

export function createLiveLoopContext(config: WorkerConfig, redis: Redis): LiveLoopContext {
  const prefix = config.QUEUE_PREFIX;
  // On the worker's shared connection (which waits out Redis outages): closing a queue leaves it open.
  const queues = { train: new Queue(QueueName.train, { connection: redis, prefix }), batch: new Queue(QueueName.batch, { connection: redis, prefix }) };
  for (const queue of Object.values(queues)) queue.on('error', () => {}); // the shared connection's outages are reported once, by the worker
  return {
    queues,
    usage: new UsageIndex(redis, prefix),
    drift: new DriftTracker(redis, prefix, { window: config.DRIFT_WINDOW, margin: config.DRIFT_MARGIN }),
    runs: new ScheduleRuns(redis, prefix),
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
    },
  };
}
