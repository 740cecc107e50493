import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withRedisTimeout } from '@mlq/jobs';

export const ModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    kind: Type.Union([Type.Literal('price'), Type.Literal('textgen'), Type.Literal('seq2seq')]),
    architecture: Type.String({ description: 'price: lstm | linear; textgen: gru | lstm; seq2seq: lstm-encoder-decoder' }),
    dataset: Type.String(),
    series: Type.Optional(Type.String({ description: 'price: the series trained on' })),
    params: Type.Record(Type.String(), Type.Unknown()),
    metrics: Type.Record(Type.String(), Type.Unknown()),
    horizon: Type.Optional(Type.Integer({ description: 'price: default forecast horizon' })),
    lastDate: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'price: last date of the training series' })),
    preset: Type.Optional(Type.String({ description: 'textgen: the preset trained from' })),
    vocabularySize: Type.Optional(Type.Integer({ description: 'textgen: distinct characters; seq2seq: words, special tokens included' })),
    wordVectors: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'seq2seq: the word vectors dataset that initialised the embedding' })),
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
