import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FlowChildJob } from 'bullmq';
import {
  BacktestPayloadSchema,
  createJobId,
  defaultSeasonalPeriod,
  DEFAULT_BACKTEST_FOLDS,
  horizonBounds,
  jobCatalog,
  planBacktestFolds,
  QueueName,
  requiredBacktestLength,
  requiredSeriesLength,
  UsageIndex,
  withRedisTimeout,
  type BacktestFoldPayload,
  type BacktestParentData,
  type PriceTrainPayload,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { checkTrainingFits } from '../checks/memory-checks.ts';

const AcceptedBacktestSchema = Type.Object({
  jobId: Type.String({ description: 'The backtest (parent) job: poll it at `location`' }),
  queue: Type.String(),
  state: Type.String(),
  location: Type.String(),
  seriesLength: Type.Integer(),
  folds: Type.Array(
    Type.Object({
      index: Type.Integer(),
      jobId: Type.String({ description: 'The fold job (train queue)' }),
      trainEnd: Type.Integer({ description: 'Points trained on' }),
      testEnd: Type.Integer(),
      origin: Type.Union([Type.String(), Type.Null()], { description: 'Date of the last point trained on' }),
    }),
  ),
});

/**
 * `POST /v1/backtests`: a rolling-origin backtest of a price model specification, as a BullMQ flow
 * (like a batch): one `backtest-fold` child per origin in the train queue, run in parallel by every
 * worker, and a `backtest` parent in the batch queue that gathers them. Follow it at `/v1/jobs/:id`.
 */
export const backtestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { flows, redis, config } = app.services;
  const usage = new UsageIndex(redis, config.QUEUE_PREFIX);

  app.post(
    '/v1/backtests',
    {
      schema: {
        tags: ['backtests'],
        summary: 'Backtest a price model specification on rolling origins, against naive, seasonal naive and drift',
        description:
          'The body is a price training (`dataset`, `series`, `architecture`, `params`, `holdout`, `seed`: every architecture and param `POST /v1/train` takes) ' +
          'plus `folds` (origins, default 5), `horizon` (default 10) and `step` (points between origins, default the horizon). Each fold trains the ' +
          'specification on the points before its origin only and forecasts the horizon after it; its result has MAE, RMSE, MAPE and MASE for the model ' +
          'and for the naive, seasonal naive and drift baselines (with 80% conformal intervals and their coverage). Folds run in parallel across workers; ' +
          'the parent job (`GET /v1/jobs/:id`) shows per-fold progress, then every fold and the summary. Cancel with `DELETE /v1/jobs/:id`.',
        body: BacktestPayloadSchema,
        response: { 202: AcceptedBacktestSchema, 400: Type.Ref('Error'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // The train route's default architecture.
      const architecture = body.architecture ?? 'lstm';
      const horizon = body.horizon ?? horizonBounds.default;
      const step = body.step ?? horizon;
      const folds = body.folds ?? DEFAULT_BACKTEST_FOLDS;
      const { collection } = await app.catalog.series(body.dataset);
      const closes = collection.closes(body.series); // an unknown series is a 404
      const dates = collection.dates(body.series);
      const minTrain = requiredSeriesLength(architecture, body.params, body.holdout ?? horizon);
      const needed = requiredBacktestLength({ folds, horizon, step, minTrain });
      if (closes.length < needed) {
        throw new HttpError(
          400,
          `series "${body.series}" has ${closes.length} points; ${folds} folds of horizon ${horizon} ${step} apart need at least ${needed} ` +
            `(${architecture} with these params trains on at least ${minTrain}): ask for fewer folds, a smaller step or horizon`,
          'body/folds',
          { points: closes.length, needed, trainingPoints: minTrain },
        );
      }
      const training: PriceTrainPayload = {
        kind: 'price',
        dataset: body.dataset,
        series: body.series,
        architecture,
        horizon,
        ...(body.params ? { params: body.params } : {}),
        ...(body.holdout !== undefined ? { holdout: body.holdout } : {}),
      };
      // Each fold trains on one thread, as a batch child does; the longest fold trains on fewer points than the series.
      await checkTrainingFits(app, training, { kind: 'price', seriesLength: closes.length }, 1);

      const seasonalPeriod = body.seasonalPeriod ?? defaultSeasonalPeriod(dates);
      const plan = planBacktestFolds(closes.length, { folds, horizon, step, minTrain });
      const backtestId = createJobId('backtest');
      const children: Record<string, string> = {};
      const childJobs: FlowChildJob[] = plan.map((fold) => {
        const jobId = createJobId('backtest-fold');
        children[String(fold.index)] = jobId;
        const data: BacktestFoldPayload = {
          dataset: body.dataset,
          series: body.series,
          architecture,
          horizon,
          fold,
          folds,
          seasonalPeriod,
          ...(body.params ? { params: body.params } : {}),
          ...(body.holdout !== undefined ? { holdout: body.holdout } : {}),
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
        };
        return { name: 'backtest-fold', queueName: QueueName.train, data, opts: { ...jobCatalog['backtest-fold'].options, jobId, ignoreDependencyOnFailure: true } };
      });
      const parent: BacktestParentData = { dataset: body.dataset, series: body.series, architecture, horizon, step, seasonalPeriod, seriesLength: closes.length, children };
      // The backtest (not each fold) uses the dataset: its parent finishes after its last fold.
      await withRedisTimeout(
        usage.enqueue({ queue: QueueName.batch, id: backtestId }, [{ type: 'dataset', id: body.dataset }], () =>
          flows.add({ name: 'backtest', queueName: QueueName.batch, data: parent, opts: { ...jobCatalog.backtest.options, jobId: backtestId }, children: childJobs }),
        ),
        config.REDIS_TIMEOUT_MS * 2,
      );
      request.log.info({ jobId: backtestId, queue: QueueName.batch, folds, architecture, series: body.series }, 'backtest enqueued');
      return reply.status(202).send({
        jobId: backtestId,
        queue: QueueName.batch,
        state: 'waiting',
        location: `/v1/jobs/${backtestId}`,
        seriesLength: closes.length,
        folds: plan.map((fold) => ({ ...fold, jobId: children[String(fold.index)]!, origin: dates[fold.trainEnd - 1] ?? null })),
      });
    },
  );
};
