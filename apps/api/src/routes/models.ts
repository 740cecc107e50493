import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withRedisTimeout } from '@mlq/jobs';

export const ModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    kind: Type.String(),
    architecture: Type.String(),
    dataset: Type.String(),
    series: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    metrics: Type.Record(Type.String(), Type.Unknown()),
    horizon: Type.Integer(),
    lastDate: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    artifactStore: Type.String(),
    artifactPrefix: Type.String(),
    byteSize: Type.Integer(),
    backend: Type.String(),
    trainJobId: Type.String(),
  },
  { $id: 'Model' },
);

export const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const timeout = app.services.config.REDIS_TIMEOUT_MS;

  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Trained models, newest first',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, description: 'Only the versions of this name' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: {
          200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), models: Type.Array(Type.Ref('Model')) }),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const { limit, offset, name } = request.query;
      const page = await withRedisTimeout(app.services.models.list({ limit, offset, ...(name ? { name } : {}) }), timeout);
      return { ...page, limit, offset };
    },
  );

  app.get(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'One model: by id, by name (latest version), `name@latest` or `name@<version>`',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Ref('Model'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => withRedisTimeout(app.services.models.resolve(request.params.id), timeout),
  );
};
