import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { queueNames, withRedisTimeout, type QueueName } from '@mlq/jobs';
import { readQueueLoad, type QueueLoad } from '../queue-load.ts';
import { countedStates } from '../job-states.ts';
import { driftTrackerOf } from '../drift-tracker.ts';

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

  const drift = driftTrackerOf(app.services);
  // One series per model name with recorded forecasts: bounded by the names in the registry.
  new Gauge({
    name: 'mlq_model_drift',
    help: "1 when a model name's realised forecast error over DRIFT_WINDOW exceeds naive's by more than DRIFT_MARGIN, else 0",
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await withRedisTimeout(drift.states(), timeout)) this.set({ model: state.name }, state.flagged ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mlq_model_realised_error_ratio',
    help: "A model name's realised MAE over naive's on the same points (the last DRIFT_WINDOW with actuals)",
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await withRedisTimeout(drift.states(), timeout)) if (state.ratio !== null) this.set({ model: state.name }, state.ratio);
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
