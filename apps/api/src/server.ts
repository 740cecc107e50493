import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DatasetCatalog, parseApiKeys, RedisOutageReporter, type ApiConfig } from '@mlq/jobs';
import { createApiServices, type ApiServices } from './services.ts';

import rateLimit from '@fastify/rate-limit';
import { errorHandler } from './plugins/errors.ts';
import { compileRequestValidator } from './plugins/validation.ts';
import { auth } from './plugins/auth.ts';
import { AuthFailureLimiter } from './plugins/auth-failures.ts';
import { clientBucket } from './plugins/client-address.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerBoard } from './plugins/board.ts';
import { healthRoutes } from './routes/health.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { trainRoutes } from './routes/train.ts';
import { predictRoutes } from './routes/predict.ts';
import { jobRoutes } from './routes/jobs.ts';
import { jobEventRoutes } from './routes/job-events.ts';
import { batchRoutes } from './routes/batches.ts';
import { backtestRoutes } from './routes/backtests.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { datasetRowRoutes } from './routes/dataset-rows.ts';
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
    logger: withRedaction(options.logger ?? false),
    // JSON bodies are small; dataset uploads raise their own limit.
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // One Ajv configuration: JSON bodies uncoerced, text parts coerced from finite numerals only.
  app.setValidatorCompiler(compileRequestValidator);

  const services = options.services ?? (await createApiServices(options.config, undefined, new RedisOutageReporter(app.log)));
  app.decorate('services', services);
  app.decorate('catalog', new DatasetCatalog(services.datasets, services.store, { redisTimeoutMs: options.config.REDIS_TIMEOUT_MS }));
  if (!options.services) app.addHook('onClose', async () => services.close());

  await app.register(errorHandler);
  app.addSchema(JobViewSchema);
  app.addSchema(ModelSchema);
  app.addSchema(DatasetSchema);
  const config = options.config;
  // First, so that it sees every route registered after it (the route list, scope checks).
  await app.register(auth, {
    apiKeys: parseApiKeys(config.API_KEYS),
    allowUnauthenticated: config.ALLOW_UNAUTHENTICATED,
    failures:
      config.AUTH_FAILURES_PER_MINUTE > 0
        ? new AuthFailureLimiter(services.redis, {
            perMinute: config.AUTH_FAILURES_PER_MINUTE,
            prefix: config.QUEUE_PREFIX,
            redisTimeoutMs: config.REDIS_TIMEOUT_MS,
            onRedisError: (error) => app.log.warn({ err: error }, 'wrong API keys counted by this replica only while Redis does not answer'),
          })
        : undefined,
  });
  await registerOpenApi(app);
  if (config.RATE_LIMIT_PER_MINUTE > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      // After the auth hook, so the limit is per API key.
      hook: 'preHandler',
      keyGenerator: (request) => request.apiKeyId ?? clientBucket(request.socket.remoteAddress),
      // Decided by the matched route, like authorization: probes, metrics and /docs are never limited.
      allowList: (request) => request.routeOptions.config.scope === 'public',
      // Counted in Redis, so the limit holds across API replicas; a Redis outage does not block requests.
      redis: services.redis,
      nameSpace: `${config.QUEUE_PREFIX}:rate-limit:`,
      skipOnError: true,
    });
  }
  await app.register(healthRoutes);
  await app.register(datasetRoutes);
  await app.register(trainRoutes);
  await app.register(predictRoutes);
  await app.register(jobRoutes);
  await app.register(jobEventRoutes);
  await app.register(batchRoutes);
  await app.register(backtestRoutes);
  await app.register(scheduleRoutes);
  await app.register(datasetRowRoutes);
  await app.register(modelRoutes);
  await app.register(metricRoutes);
  await registerBoard(app, { readOnly: config.BOARD_READ_ONLY });
  return app;
}

/** Request headers that carry keys never reach a log line, whatever a serializer includes. */
function withRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const paths = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'request.headers.authorization'];
  return { ...(logger === true ? {} : logger), redact: { paths, censor: '[redacted]' } };
}
