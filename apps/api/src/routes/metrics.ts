import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNames, withRedisTimeout, type QueueName } from '@mlq/jobs';

const states = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children', 'paused'] as const;

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
export async function queueLoad(redis: Redis, queue: Queue): Promise<QueueLoad> {
  const [counts, delayedDue] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'active'),
    redis.zcount(queue.keys.delayed!, 0, Date.now() * 0x1000 + 0xfff),
  ]);
  const waiting = counts.waiting ?? 0;
  const prioritized = counts.prioritized ?? 0;
  const active = counts.active ?? 0;
  const runnable = waiting + prioritized + delayedDue;
  return { waiting, prioritized, delayedDue, active, runnable, demand: runnable + active };
}

/**
 * `GET /metrics`: Prometheus text format; `GET /metrics/queues`: each queue's load as JSON. Queue
 * depths are read from Redis on each request.
 */
export function metricRoutes(redis: Redis, queues: Record<QueueName, Queue>, redisTimeoutMs: number): FastifyPluginAsync {
  return async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'mlq_api_' });
    new Gauge({
      name: 'mlq_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const name of queueNames) {
          const counts = await withRedisTimeout(queues[name].getJobCounts(...states), redisTimeoutMs);
          for (const state of states) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'mlq_queue_runnable_jobs',
      help: 'Jobs a worker could start now: waiting + prioritized + due delayed (scale workers on this)',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        for (const name of queueNames) this.set({ queue: name }, (await withRedisTimeout(queueLoad(redis, queues[name]), redisTimeoutMs)).runnable);
      },
    });

    // Public, as Prometheus and KEDA reach them without keys.
    app.get('/metrics', { schema: { hide: true }, config: { scope: 'public' } }, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });

    // For KEDA's metrics-api scaler (k8s/base/worker-autoscaling.yaml): valueLocation `train.demand`.
    app.get('/metrics/queues', { schema: { hide: true }, config: { scope: 'public' } }, async () => {
      const loads = await withRedisTimeout(Promise.all(queueNames.map((name) => queueLoad(redis, queues[name]))), redisTimeoutMs);
      return Object.fromEntries(queueNames.map((name, i) => [name, loads[i]!])) as Record<QueueName, QueueLoad>;
    });
  };
}
