import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DatasetCatalog, RedisOutageReporter, type ApiConfig } from '@mlq/jobs';
import { createApiServices, type ApiServices } from './services.ts';

import rateLimit from '@fastify/rate-limit';
import { errorHandler } from './plugins/errors.ts';
import { auth } from './plugins/auth.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerBoard } from './plugins/board.ts';
import { healthRoutes } from './routes/health.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { jobRoutes } from './routes/jobs.ts';
import { jobEventRoutes } from './routes/job-events.ts';
import { batchRoutes } from './routes/batches.ts';
import { modelRoutes, ModelSchema } from './routes/models.ts';
import { metricRoutes } from './routes/metrics.ts';
import { JobViewSchema } from './job-view.ts';
import { DatasetSchema } from './routes/datasets.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: ApiServices;
    catalog: DatasetCatalog;
  }
}

export interface BuildServerOptions {
  config: ApiConfig;
  logger?: FastifyServerOptions['logger'];
  /** Injected by tests that share services; built from config otherwise. */
  services?: ApiServices;
}

/** The API as a testable app (`inject`); main.ts owns the process. */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // JSON bodies are small; dataset uploads raise their own limit.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const services = options.services ?? (await createApiServices(options.config, undefined, new RedisOutageReporter(app.log)));
  app.decorate('services', services);
  app.decorate('catalog', new DatasetCatalog(services.datasets, services.store, { redisTimeoutMs: options.config.REDIS_TIMEOUT_MS }));
  if (!options.services) app.addHook('onClose', async () => services.close());

  await app.register(errorHandler);
  app.addSchema(JobViewSchema);
  app.addSchema(ModelSchema);
  app.addSchema(DatasetSchema);
  await registerOpenApi(app);
  const config = options.config;
  await app.register(auth, {
    apiKeys: config.API_KEYS.split(',').filter((key) => key.length > 0),
    boardReadOnly: config.BOARD_READ_ONLY,
  });
  if (config.RATE_LIMIT_PER_MINUTE > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      // After the auth hook, so the limit is per API key.
      hook: 'preHandler',
      keyGenerator: (request) => request.apiKeyId ?? request.ip,
      allowList: (request) => !request.url.startsWith('/v1'),
      // Counted in Redis, so the limit holds across API replicas; a Redis outage does not block requests.
      redis: services.redis,
      nameSpace: `${config.QUEUE_PREFIX}:rate-limit:`,
      skipOnError: true,
    });
  }
  await app.register(healthRoutes);
  await app.register(datasetRoutes);
  await app.register(jobRoutes);
  await app.register(jobEventRoutes);
  await app.register(batchRoutes);
  await app.register(modelRoutes);
  await app.register(metricRoutes(services.redis, services.queues, config.REDIS_TIMEOUT_MS));
  await registerBoard(app, { readOnly: config.BOARD_READ_ONLY });
  return app;
}
