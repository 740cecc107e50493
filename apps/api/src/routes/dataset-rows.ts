import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppendRowsPayloadSchema, appendPriceRows, DriftStateSchema, logDriftChange, withRedisTimeout, type DriftState } from '@mlq/jobs';
import { driftTrackerOf } from '../drift-tracker.ts';

/**
 * `POST /v1/datasets/:id/rows`: the live loop's input. New closes go to an uploaded price dataset
 * as its next version; then every model name with recorded forecasts on those series is scored
 * against the new actuals (realised error against naive's, the drift flag).
 */
export const datasetRowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { redis, store, config } = app.services;
  const drift = driftTrackerOf(app.services);

  app.post(
    '/v1/datasets/:id/rows',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Append observations (dated closes) to an uploaded price dataset',
        description:
          "Each row is `{ series, date, close }` (`series` may be left out for a dataset of one series); each date must come after its series' last one " +
          '(and after the previous row of the same series in the request), each close be a finite number. The rows make the next version of the dataset: ' +
          'jobs that start afterwards read them, jobs already running keep what they read. Built-in datasets take no rows (400). ' +
          'Then every model name whose recorded forecasts cover these series is scored against the new actuals: `drift` lists their states.',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
        body: AppendRowsPayloadSchema,
        response: {
          200: Type.Object({
            id: Type.String(),
            version: Type.Integer({ description: 'The dataset version these rows made' }),
            appended: Type.Record(Type.String(), Type.Integer(), { description: 'Rows added per series' }),
            summary: Type.Unknown({ description: 'The dataset summary after the append: series, row counts, date ranges' }),
            drift: Type.Array(DriftStateSchema, { description: 'Drift states of the model names scored against the new actuals' }),
          }),
          400: Type.Ref('Error'),
          404: Type.Ref('Error'),
          409: Type.Ref('Error'),
          503: Type.Ref('Error'),
          507: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const appended = await appendPriceRows({ redis, prefix: config.QUEUE_PREFIX, store, catalog: app.catalog }, id, request.body.rows);
      request.log.info({ datasetId: id, version: appended.record.version, rows: appended.rows.length }, 'rows appended');

      const readActuals = async (dataset: string, series: string) => {
        const { collection } = await app.catalog.series(dataset);
        return { dates: collection.dates(series), closes: collection.closes(series) };
      };
      const names = new Set<string>();
      for (const series of Object.keys(appended.appended)) for (const name of await withRedisTimeout(drift.watchers(id, series), config.REDIS_TIMEOUT_MS)) names.add(name);
      const states: DriftState[] = [];
      for (const name of names) {
        const evaluation = await withRedisTimeout(drift.evaluate(name, readActuals), config.REDIS_TIMEOUT_MS * 2);
        logDriftChange(request.log, evaluation);
        if (evaluation) states.push(evaluation.state);
      }
      return { id, version: appended.record.version!, appended: appended.appended, summary: appended.record.summary, drift: states };
    },
  );
};
