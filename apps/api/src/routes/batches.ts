import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FlowChildJob } from 'bullmq';
import {
  BatchPayloadSchema,
  createJobId,
  defaultPriceArchitecture,
  ForecastIntervalsSchema,
  ForecastSkillSchema,
  jobCatalog,
  horizonBounds,
  PriceMetricsSchema,
  QueueName,
  requiredSeriesLength,
  withRedisTimeout,
  UsageIndex,
  type BatchParentData,
  type ForecastPayload,
  type ForecastResult,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { checkForecastsFit } from '../checks/memory-checks.ts';
import { checkPriceParams } from '../families/price.ts';
import { findJob, toJobView, withCurrentState, JobStateSchema } from '../job-view.ts';

const BatchViewSchema = Type.Object({
  id: Type.String(),
  state: JobStateSchema,
  dataset: Type.String(),
  architecture: Type.String(),
  horizon: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'Children per state' }),
  series: Type.Array(
    Type.Object({
      series: Type.String(),
      jobId: Type.String(),
      state: JobStateSchema,
      forecast: Type.Union([Type.Array(Type.Number()), Type.Null()]),
      dates: Type.Union([Type.Array(Type.String()), Type.Null()]),
      metrics: Type.Union([PriceMetricsSchema, Type.Null()], { description: 'Holdout errors of the model and the naive and linear baselines' }),
      method: Type.Union([Type.String(), Type.Null()], { description: 'What made the forecast (`auto: naive`)' }),
      intervals: Type.Union([ForecastIntervalsSchema, Type.Null()]),
      skill: Type.Union([ForecastSkillSchema, Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  skipped: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export const batchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, flows, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;

  app.post(
    '/v1/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'Forecast every series of a dataset (or a list) in parallel across workers',
        description:
          'One forecast job (train on the series, then forecast `horizon` days) per series, as children of one batch job ' +
          'in a BullMQ flow. Series too short for the model are skipped and listed. A failed child does not fail the batch.',
        body: BatchPayloadSchema,
        response: {
          202: Type.Object({
            batchId: Type.String(),
            series: Type.Integer({ description: 'Forecast jobs enqueued' }),
            skipped: Type.Record(Type.String(), Type.String()),
            location: Type.String(),
          }),
          400: Type.Ref('Error'),
          404: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const architecture = body.architecture ?? defaultPriceArchitecture;
      checkPriceParams(architecture, body.params);
      const horizon = body.horizon ?? horizonBounds.default;
      const { collection } = await app.catalog.series(body.dataset);
      const needed = requiredSeriesLength(architecture, body.params, horizon);
      const candidates = body.series ?? collection.seriesNames();
      const chosen: string[] = [];
      const skipped: Record<string, string> = {};
      for (const series of candidates) {
        const points = collection.closes(series).length; // unknown series → 404
        if (points >= needed) chosen.push(series);
        else skipped[series] = `${points} points; needs at least ${needed}`;
      }
      if (chosen.length === 0) {
        throw new HttpError(400, `no series of ${body.dataset} is long enough (${needed} points needed)`, 'body/series');
      }
      await checkForecastsFit(
        app,
        body,
        chosen.map((series) => collection.closes(series).length),
      );
      const children: Record<string, string> = {};
      const childJobs: FlowChildJob[] = chosen.map((series) => {
        const jobId = createJobId('forecast');
        children[series] = jobId;
        const data: ForecastPayload = {
          dataset: body.dataset,
          series,
          architecture,
          horizon,
          ...(body.params ? { params: body.params } : {}),
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
        };
        return {
          name: 'forecast',
          queueName: QueueName.train,
          data,
          opts: { ...jobCatalog.forecast.options, jobId, ignoreDependencyOnFailure: true },
        };
      });
      const batchId = createJobId('batch');
      // The batch (not each child) uses the dataset: its parent finishes after its last child.
      const usage = new UsageIndex(app.services.redis, config.QUEUE_PREFIX);
      const parent: BatchParentData = { dataset: body.dataset, series: chosen, architecture, horizon, children, skipped };
      await withRedisTimeout(
        usage.enqueue({ queue: QueueName.batch, id: batchId }, [{ type: 'dataset', id: body.dataset }], () =>
          flows.add({
            name: 'batch',
            queueName: QueueName.batch,
            data: parent,
            opts: { ...jobCatalog.batch.options, jobId: batchId },
            children: childJobs,
          }),
        ),
        // A flow of hundreds of children is one larger multi/exec.
        timeout * 4,
      );
      request.log.info({ batchId, queue: QueueName.batch, children: chosen.length }, 'batch enqueued');
      return reply.status(202).send({ batchId, series: chosen.length, skipped, location: `/v1/batches/${batchId}` });
    },
  );

  app.get(
    '/v1/batches/:id',
    {
      schema: {
        tags: ['batches'],
        summary: 'Per-series state and the gathered forecasts of a batch',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: BatchViewSchema, 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const { job: parent, queue } = await withRedisTimeout(findJob(queues, request.params.id), timeout);
      if (queue !== QueueName.batch) throw new HttpError(404, `batch not found: ${request.params.id}`);
      const data = parent.data as BatchParentData;
      const series = await withRedisTimeout(
        Promise.all(
          Object.entries(data.children).map(async ([name, jobId]) => {
            const child = await queues.train.getJob(jobId);
            if (!child)
              return {
                series: name,
                jobId,
                state: 'unknown' as const,
                forecast: null,
                dates: null,
                metrics: null,
                method: null,
                intervals: null,
                skill: null,
                error: 'job expired or removed',
              };
            const current = await withCurrentState(queues.train, child);
            const view = toJobView(current.job, QueueName.train, current.state);
            const result = view.state === 'completed' ? (view.result as ForecastResult) : undefined;
            return {
              series: name,
              jobId,
              state: view.state,
              forecast: result?.forecast ?? null,
              dates: result?.dates ?? null,
              metrics: result?.metrics ?? null,
              method: result?.method ?? null,
              intervals: result?.intervals ?? null,
              skill: result?.skill ?? null,
              error: view.state === 'failed' || view.state === 'cancelled' ? view.error : null,
            };
          }),
        ),
        timeout * 4,
      );
      const counts: Record<string, number> = {};
      for (const s of series) counts[s.state] = (counts[s.state] ?? 0) + 1;
      const parentView = toJobView(parent, queue, await withRedisTimeout(parent.getState(), timeout));
      return {
        id: parentView.id,
        state: parentView.state,
        dataset: data.dataset,
        architecture: data.architecture,
        horizon: data.horizon,
        counts,
        series,
        skipped: data.skipped,
        createdAt: parentView.createdAt,
        finishedAt: parentView.finishedAt,
      };
    },
  );
};
