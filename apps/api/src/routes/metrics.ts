import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNames, withRedisTimeout, type QueueName } from '@mlq/jobs';

const states = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children', 'paused'] as const;

/**
 * Jobs that a worker could start now: waiting + prioritized + delayed ones whose time has come.
 * BullMQ's wait list alone misses the last two, so autoscaling on it never fires for them.
 * Delayed scores are `timestamp · 4096 + counter` (BullMQ's encoding), so "due" is a ZCOUNT.
 */
export async function runnableJobs(redis: Redis, queue: Queue): Promise<number> {
  const [counts, due] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized'),
    redis.zcount(queue.keys.delayed!, 0, Date.now() * 0x1000 + 0xfff),
  ]);
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + due;
}

/** `GET /metrics`: Prometheus text format; queue depths are read from Redis on each scrape. */
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
        for (const name of queueNames) this.set({ queue: name }, await withRedisTimeout(runnableJobs(redis, queues[name]), redisTimeoutMs));
      },
    });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  };
}
