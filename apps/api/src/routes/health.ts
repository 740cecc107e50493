import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withRedisTimeout } from '@mlq/jobs';

/** Probes: `/healthz` says the process is up, `/readyz` that Redis answers. Public: never behind auth. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: { tags: ['health'], summary: 'Process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Redis is reachable',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), redis: Type.Literal('ok') }),
          503: Type.Ref('Error'),
        },
      },
    },
    async () => {
      await withRedisTimeout(app.services.redis.ping(), app.services.config.REDIS_TIMEOUT_MS);
      return { status: 'ready' as const, redis: 'ok' as const };
    },
  );
};
