import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { deleteModels, DriftStateSchema, ModelRecordSchema, UsageIndex, withRedisTimeout } from '@mlq/jobs';
import { driftTrackerOf } from '../drift-tracker.ts';

/** A model record as clients see it, built from the family specs (`ModelRecordSchema` in `@mlq/specs`). */
export const ModelSchema = Type.Object(ModelRecordSchema.properties, { $id: 'Model' });

/** A record as clients see it: the store's kind, not where it lives on the server's disk. */
const publicModel = <R extends { artifactStore: string }>(record: R): R => ({ ...record, artifactStore: record.artifactStore.split(':', 1)[0] ?? 'file' });

/** The store's bytes after a deletion, when it counts them. */
export const StoreUsageSchema = Type.Union([Type.Object({ usedBytes: Type.Integer(), quotaBytes: Type.Integer({ description: '0: no limit' }) }), Type.Null()]);

/** One model with its name's drift state. */
const ModelWithDriftSchema = Type.Object({
  ...ModelRecordSchema.properties,
  drift: Type.Union([DriftStateSchema, Type.Null()], {
    description:
      "Realised error of the name's recorded forecasts (scheduled runs, predictions without history) against naive's over the last DRIFT_WINDOW points with actuals, and whether it is flagged; null before any forecast was recorded",
  }),
});

export const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, models, store, redis } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;
  const usage = new UsageIndex(redis, config.QUEUE_PREFIX);
  const drift = driftTrackerOf(app.services);

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
      return { ...page, models: page.models.map(publicModel), limit, offset };
    },
  );

  app.get(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'One model: by id, by name (latest version), `name@latest` or `name@<version>`',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: ModelWithDriftSchema, 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const record = publicModel(await withRedisTimeout(app.services.models.resolve(request.params.id), timeout));
      return { ...record, drift: (await withRedisTimeout(drift.state(record.name), timeout)) ?? null };
    },
  );

  app.delete(
    '/v1/models/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Delete a model version (an id, `name@<version>`, `name@latest`) or every version of a name (a bare name)',
        description:
          "Removes the records, the name's version index entries and the weights. Refused with 409, naming the job, while a waiting or running " +
          'prediction uses one of them (nothing is deleted then). Version numbers are never reused: after deleting `btc@3`, the next training of `btc` is version 4.',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) }),
        response: {
          200: Type.Object({
            deleted: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer() })),
            store: StoreUsageSchema,
          }),
          404: Type.Ref('Error'),
          409: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const result = await withRedisTimeout(deleteModels({ usage, store, models }, request.params.id), timeout * 2);
      // A name left without versions takes its recorded forecasts and drift state with it.
      for (const name of new Set(result.models.map((model) => model.name))) {
        if ((await withRedisTimeout(models.list({ name, offset: 0, limit: 1 }), timeout)).total === 0) await withRedisTimeout(drift.forget(name), timeout);
      }
      request.log.info({ models: result.models.map((m) => m.id) }, 'models deleted');
      return { deleted: result.models.map(({ id, name, version }) => ({ id, name, version })), store: result.store };
    },
  );
};
