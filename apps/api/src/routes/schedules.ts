import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { JobSchedulerJson } from 'bullmq';
import {
  createScheduleId,
  isRedisConnectionError,
  isScheduleId,
  jobCatalog,
  RETRAIN_JOB_NAME,
  ScheduleRuns,
  SCHEDULE_RUNS_KEPT,
  ScheduleRunSchema,
  SchedulePayloadSchema,
  TrainPayloadSchema,
  withRedisTimeout,
  type RetrainData,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { compileKindDiscriminatedProperty } from '../plugins/kind-validator.ts';
import { checkTrainPayload } from '../checks/train-checks.ts';

/** Runs shown per schedule in the listing (`GET /v1/schedules/:id` shows every one kept). */
const RUNS_LISTED = 3;

const ScheduleSchema = Type.Object({
  id: Type.String(),
  train: Type.Unknown({ description: 'The training each run enqueues (a `POST /v1/train` body)' }),
  every: Type.Union([Type.Integer(), Type.Null()], { description: 'Milliseconds between runs' }),
  pattern: Type.Union([Type.String(), Type.Null()], { description: 'Cron pattern' }),
  tz: Type.Union([Type.String(), Type.Null()]),
  limit: Type.Union([Type.Integer(), Type.Null()]),
  runsProduced: Type.Integer({ description: 'Ticks produced so far' }),
  next: Type.Union([Type.String(), Type.Null()], { description: 'When the next run is due' }),
  createdAt: Type.Union([Type.String(), Type.Null()]),
  runs: Type.Array(ScheduleRunSchema, { description: 'Latest runs, newest first: each names its training job (`GET /v1/jobs/tr_…`) and the model version it made' }),
});

const ScheduleParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/**
 * Scheduled retraining (`POST`, `GET`, `DELETE /v1/schedules`): each schedule is a BullMQ job
 * scheduler on the batch queue (Bull Board lists its next tick among the batch queue's delayed
 * jobs) whose ticks retrain a model and record its forecast for drift tracking
 * (`apps/worker/src/processors/retrain.ts`). Creating and removing need `submit`: a schedule is
 * standing training requests, and removing one deletes no data (its models stay).
 */
export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, redis, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;
  const runs = new ScheduleRuns(redis, config.QUEUE_PREFIX);

  const viewOf = async (scheduler: JobSchedulerJson<RetrainData>, runsShown: number) => {
    const data = scheduler.template?.data;
    const id = scheduler.key;
    return {
      id,
      train: data?.train ?? null,
      every: scheduler.every ?? null,
      pattern: scheduler.pattern ?? null,
      tz: scheduler.tz ?? null,
      limit: scheduler.limit ?? null,
      runsProduced: scheduler.iterationCount ?? 0,
      next: scheduler.next ? new Date(scheduler.next).toISOString() : null,
      createdAt: data?.createdAt ?? null,
      runs: await runs.list(id, runsShown),
    };
  };

  const findSchedule = async (id: string) => {
    const scheduler = isScheduleId(id) ? await withRedisTimeout(queues.batch.getJobScheduler(id), timeout) : undefined;
    if (!scheduler || scheduler.name !== RETRAIN_JOB_NAME) throw new HttpError(404, `schedule not found: ${id}`);
    return scheduler as JobSchedulerJson<RetrainData>;
  };

  app.post(
    '/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Retrain a model on a schedule: a training body and a cron `pattern` or an `every` interval',
        description:
          'Each run enqueues the training (a new version of the same model name, on the dataset as it is then, appended rows included), waits for it, ' +
          'and records the new price model’s forecast so that its realised error is tracked once actuals arrive (see `drift` on `GET /v1/models/:id`). ' +
          'A run due while the previous training still runs is skipped. `pattern` has 5 fields (minute hour day month weekday); ' +
          `\`every\` is at least ${config.SCHEDULE_MIN_INTERVAL_MS} ms (SCHEDULE_MIN_INTERVAL_MS); at most ${config.MAX_SCHEDULES} schedules exist at once (MAX_SCHEDULES).`,
        body: SchedulePayloadSchema,
        response: { 201: ScheduleSchema, 400: Type.Ref('Error'), 404: Type.Ref('Error'), 409: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
      validatorCompiler: compileKindDiscriminatedProperty('train', TrainPayloadSchema),
    },
    async (request, reply) => {
      const { train, every, pattern, tz, limit } = request.body;
      if ((every === undefined) === (pattern === undefined)) throw new HttpError(400, 'give exactly one of every (milliseconds) and pattern (cron)', 'body/every');
      if (every !== undefined && every < config.SCHEDULE_MIN_INTERVAL_MS) {
        throw new HttpError(400, `every must be at least ${config.SCHEDULE_MIN_INTERVAL_MS} ms (SCHEDULE_MIN_INTERVAL_MS)`, 'body/every');
      }
      if (pattern !== undefined && pattern.trim().split(/\s+/).length !== 5) {
        throw new HttpError(400, `pattern must have 5 fields (minute hour day-of-month month day-of-week), got "${pattern}"`, 'body/pattern');
      }
      if (tz !== undefined && pattern === undefined) throw new HttpError(400, 'tz applies to a cron pattern', 'body/tz');
      await checkTrainPayload(app, train);
      if ((await withRedisTimeout(queues.batch.getJobSchedulersCount(), timeout)) >= config.MAX_SCHEDULES) {
        throw new HttpError(409, `there are already ${config.MAX_SCHEDULES} schedules (MAX_SCHEDULES); delete one first`);
      }
      const id = createScheduleId();
      const data: RetrainData = { scheduleId: id, train, createdAt: new Date().toISOString() };
      const repeat = { ...(every !== undefined ? { every } : { pattern: pattern!, ...(tz !== undefined ? { tz } : {}) }), ...(limit !== undefined ? { limit } : {}) };
      try {
        await withRedisTimeout(queues.batch.upsertJobScheduler(id, repeat, { name: RETRAIN_JOB_NAME, data, opts: jobCatalog[RETRAIN_JOB_NAME].options }), timeout * 2);
      } catch (error) {
        // A pattern or time zone the cron parser refuses; anything about Redis stays a 503.
        if (error instanceof HttpError || isRedisConnectionError(error) || every !== undefined) throw error;
        throw new HttpError(400, `pattern "${pattern}"${tz ? ` in time zone ${tz}` : ''} is not a valid schedule: ${(error as Error).message}`, 'body/pattern');
      }
      request.log.info({ scheduleId: id, every: every ?? null, pattern: pattern ?? null, kind: train.kind }, 'schedule created');
      return reply.status(201).send(await viewOf(await findSchedule(id), RUNS_LISTED));
    },
  );

  app.get(
    '/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Retraining schedules, with their latest runs',
        response: { 200: Type.Object({ schedules: Type.Array(ScheduleSchema) }), 503: Type.Ref('Error') },
      },
    },
    async () => {
      const schedulers = await withRedisTimeout(queues.batch.getJobSchedulers(0, config.MAX_SCHEDULES - 1, true), timeout);
      const retraining = schedulers.filter((scheduler) => scheduler.name === RETRAIN_JOB_NAME) as JobSchedulerJson<RetrainData>[];
      return { schedules: await withRedisTimeout(Promise.all(retraining.map((scheduler) => viewOf(scheduler, RUNS_LISTED))), timeout) };
    },
  );

  app.get(
    '/v1/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        summary: 'One schedule and its latest runs',
        params: ScheduleParamsSchema,
        response: { 200: ScheduleSchema, 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => viewOf(await findSchedule(request.params.id), SCHEDULE_RUNS_KEPT),
  );

  app.delete(
    '/v1/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Remove a schedule: no more runs (a training already running finishes; its models stay)',
        params: ScheduleParamsSchema,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Literal(true) }), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const { id } = request.params;
      await findSchedule(id);
      if (!(await withRedisTimeout(queues.batch.removeJobScheduler(id), timeout))) throw new HttpError(404, `schedule not found: ${id}`);
      await withRedisTimeout(runs.remove(id), timeout);
      request.log.info({ scheduleId: id }, 'schedule deleted');
      return { id, deleted: true as const };
    },
  );
};
