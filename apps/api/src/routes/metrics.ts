import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { queueNames, withRedisTimeout, type QueueName } from '@mlq/jobs';
import { readQueueLoad, type QueueLoad } from '../queue-load.ts';
import { countedStates } from '../job-states.ts';

/**
 * `GET /metrics`: Prometheus text format; `GET /metrics/queues`: each queue's load as JSON. Queue
 * depths are read from Redis on each request.
 */
export const metricRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { redis, queues, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mlq_api_' });
  new Gauge({
    name: 'mlq_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const name of queueNames) {
        const counts = await withRedisTimeout(queues[name].getJobCounts(...countedStates), timeout);
        for (const state of countedStates) this.set({ queue: name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'mlq_queue_runnable_jobs',
    help: 'Jobs a worker could start now: waiting + prioritized + due delayed (scale workers on this)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const name of queueNames) this.set({ queue: name }, (await withRedisTimeout(readQueueLoad(redis, queues[name]), timeout)).runnable);
    },
  });

  // Public, as Prometheus and KEDA reach them without keys.
  app.get('/metrics', { schema: { hide: true }, config: { scope: 'public' } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  // For KEDA's metrics-api scaler (k8s/base/worker-autoscaling.yaml): valueLocation `train.demand`.
  app.get('/metrics/queues', { schema: { hide: true }, config: { scope: 'public' } }, async () => {
    const loads = await withRedisTimeout(Promise.all(queueNames.map((name) => readQueueLoad(redis, queues[name]))), timeout);
    return Object.fromEntries(queueNames.map((name, i) => [name, loads[i]!])) as Record<QueueName, QueueLoad>;
  });
};
