import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** One queue's load, as autoscalers need it. */
export interface QueueLoad {
  waiting: number;
  prioritized: number;
  /** Delayed jobs whose time has come but that no worker has promoted yet. */
  delayedDue: number;
  active: number;
  /** Jobs a worker could start now: waiting + prioritized + delayedDue. */
  runnable: number;
  /** Jobs that need a worker slot now: runnable + active. Scale workers on this. */
  demand: number;
}

/**
 * Reads a queue's load from Redis. BullMQ's wait list alone misses prioritized and due delayed
 * jobs, so autoscaling on it never fires for them; and leaving out active jobs would scale a
 * worker away while it trains. Delayed scores are `timestamp · 4096 + counter` (BullMQ's
 * encoding), so "due" is a ZCOUNT.
 */
export async function readQueueLoad(redis: Redis, queue: Queue): Promise<QueueLoad> {
  const [counts, delayedDue] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'active'), redis.zcount(queue.keys.delayed!, 0, Date.now() * 0x1000 + 0xfff)]);
  const waiting = counts.waiting ?? 0;
  const prioritized = counts.prioritized ?? 0;
  const active = counts.active ?? 0;
  const runnable = waiting + prioritized + delayedDue;
  return { waiting, prioritized, delayedDue, active, runnable, demand: runnable + active };
}
