import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  cancelChannel,
  cancelKey,
  CANCEL_KEY_TTL_SECONDS,
  checkPredictFields,
  createJobId,
  jobCatalog,
  PredictPayloadSchema,
  QueueName,
  queueNames,
  TrainPayloadSchema,
  withRedisTimeout,
} from '@mlq/jobs';
import { trainingUses, UsageIndex } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { kindDiscriminatedValidator } from '../plugins/kind-validator.ts';
import { compileRequestValidator } from '../plugins/validation.ts';
import { findJob, toJobView, withCurrentState } from '../job-view.ts';
import { listableStates, listJobs, MAX_LIST_LIMIT, MAX_LIST_OFFSET, type ListJobsQuery } from '../job-listing.ts';
import { checkPriceHistory, checkTrainPayload } from './train-checks.ts';
import { streamGeneratedText } from './text-stream.ts';
import { streamClient } from '../event-stream.ts';


const AcceptedSchema = Type.Object({
  jobId: Type.String(),
  queue: Type.String(),
  state: Type.String(),
  location: Type.String({ description: 'Poll this for state, progress and result' }),
});

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, models, redis, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;
  const usage = new UsageIndex(redis, config.QUEUE_PREFIX);
  const accepted = (jobId: string, queue: QueueName) => ({ jobId, queue, state: 'waiting', location: `/v1/jobs/${jobId}` });

  app.post(
    '/v1/train',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a training job',
        description:
          'Trains a model and registers it as the next version of its name. `kind` picks the family: `price` (LSTM or linear forecast of one series), ' +
          '`textgen` (character-level LSTM/GRU on a text dataset) or `seq2seq` (encoder-decoder chat model on a pairs dataset).',
        body: TrainPayloadSchema,
        response: { 202: AcceptedSchema, 400: Type.Ref('Error'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
      validatorCompiler: (route) => (route.httpPart === 'body' ? kindDiscriminatedValidator(TrainPayloadSchema) : compileRequestValidator(route)),
    },
    async (request, reply) => {
      const payload = request.body;
      await checkTrainPayload(app, payload);
      const jobId = createJobId('train');
      const add = () => queues.train.add('train', payload, { ...jobCatalog.train.options, jobId });
      await withRedisTimeout(usage.enqueue({ queue: QueueName.train, id: jobId }, trainingUses(payload), add), timeout);
      request.log.info({ jobId, queue: QueueName.train, kind: payload.kind }, 'job enqueued');
      return reply.status(202).send(accepted(jobId, QueueName.train));
    },
  );

  app.post(
    '/v1/predict',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a prediction from a trained model; with `wait`, answer with the result; with `stream`, stream generated text',
        description:
          'The fields after `model` depend on the model\'s kind: `horizon`, `history` (price); `seedText`, `length`, `temperature`, `topK`, `randomSeed` (textgen); ' +
          '`message`, `strategy`, `beamWidth`, `n`, `maxLength`, `lengthPenalty` (seq2seq). A field of another kind is a 400. ' +
          'With `stream=true` (textgen only) the answer is a server-sent event stream: `job` (its id), `text` chunks as they are generated, ' +
          '`reset` (a retried attempt starts over), then `result` (the job, as GET /v1/jobs/:id shows it); `removed` if the job is deleted, ' +
          '`timeout` after SSE_MAX_SECONDS (poll the job then); a `: heartbeat` comment every SSE_HEARTBEAT_SECONDS. ' +
          'Past SSE_MAX_PER_CLIENT open streams, 429 and nothing is enqueued.',
        body: PredictPayloadSchema,
        querystring: Type.Object({
          wait: Type.Integer({
            minimum: 0,
            maximum: config.MAX_WAIT_SECONDS,
            default: 0,
            description: 'Seconds to wait for the result; 0 answers 202 at once',
          }),
          stream: Type.Boolean({ default: false, description: 'textgen: answer with server-sent events carrying the text as it is generated' }),
        }),
        response: {
          200: Type.Ref('Job'),
          202: AcceptedSchema,
          400: Type.Ref('Error'),
          404: Type.Ref('Error'),
          429: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const payload = request.body;
      const model = await withRedisTimeout(models.resolve(payload.model), timeout);
      const misfit = checkPredictFields(model.kind, payload);
      if (misfit) throw new HttpError(400, misfit.message, `body/${misfit.field}`);
      if (payload.stream !== undefined) throw new HttpError(400, 'set stream with the query parameter: POST /v1/predict?stream=true', 'body/stream');
      if (model.kind === 'price') checkPriceHistory(model, payload.history);
      const { stream, wait } = request.query;
      if (stream && model.kind !== 'textgen') throw new HttpError(400, `stream applies to textgen models; model ${model.id} is a ${model.kind} model`, 'querystring/stream');

      // A stream's place is taken before its job exists: a 429 enqueues nothing.
      const release = stream ? app.services.streams.slots.acquire(streamClient(request)) : undefined;
      const jobId = createJobId('predict');
      const add = () => queues.predict.add('predict', { ...payload, model: model.id, ...(stream ? { stream: true } : {}) }, { ...jobCatalog.predict.options, jobId });
      const job = await withRedisTimeout(usage.enqueue({ queue: QueueName.predict, id: jobId }, [{ type: 'model', id: model.id }], add), timeout).catch(
        (error: unknown) => {
          release?.();
          throw error;
        },
      );
      request.log.info({ jobId, queue: QueueName.predict, model: model.id }, 'job enqueued');
      if (release) return streamGeneratedText(app, request, reply, jobId, release);
      if (wait > 0) {
        const events = app.services.queueEvents(QueueName.predict);
        await withRedisTimeout(events.waitUntilReady(), timeout);
        const finished = await job.waitUntilFinished(events, wait * 1000).then(
          () => true,
          (error: Error) => !/timed out/i.test(error.message),
        );
        if (finished) {
          const { job: done, queue } = await findJob(queues, jobId);
          return reply.status(200).send(toJobView(done, queue, await done.getState()));
        }
      }
      return reply.status(202).send(accepted(jobId, QueueName.predict));
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'State, progress, attempts, timestamps, result or error of a job',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Ref('Job'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const found = await withRedisTimeout(findJob(queues, request.params.id), timeout);
      const { job, state } = await withRedisTimeout(withCurrentState(queues[found.queue], found.job), timeout);
      return toJobView(job, found.queue, state);
    },
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Jobs, newest first, filtered by queue and state',
        querystring: Type.Object({
          queue: Type.Optional(Type.Union(queueNames.map((q) => Type.Literal(q)))),
          state: Type.Optional(Type.Union([...listableStates, 'cancelled'].map((s) => Type.Literal(s)))),
          limit: Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 20 }),
          offset: Type.Integer({
            minimum: 0,
            maximum: MAX_LIST_OFFSET,
            default: 0,
            description: `Jobs to skip; at most ${MAX_LIST_OFFSET} (a listing reads at most offset + limit ids per queue and state). Narrow with queue and state to reach older jobs`,
          }),
        }),
        response: {
          200: Type.Object({
            jobs: Type.Array(Type.Ref('Job')),
            limit: Type.Integer(),
            offset: Type.Integer(),
            next: Type.Union([Type.Integer(), Type.Null()], { description: 'The offset of the next page, or null when this one is the last (or the deepest allowed)' }),
          }),
          400: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const { queue, state, limit, offset } = request.query;
      const { jobs, more } = await withRedisTimeout(listJobs(redis, queues, queue ? [queue] : queueNames, { state: state as ListJobsQuery['state'], limit, offset }), timeout);
      return { jobs, limit, offset, next: more && offset + limit <= MAX_LIST_OFFSET ? offset + limit : null };
    },
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A job not yet started is removed (200, state `removed`). An active one is asked to stop: training stops at the next batch ' +
          'and the job ends as `cancelled` (202, state `cancelling`). A finished job cannot be cancelled (409).',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: {
          200: Type.Object({ id: Type.String(), state: Type.Literal('removed') }),
          202: Type.Object({ id: Type.String(), state: Type.Literal('cancelling') }),
          404: Type.Ref('Error'),
          409: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const { job, queue } = await withRedisTimeout(findJob(queues, request.params.id), timeout);
      const id = job.id!;
      // Marked first, so a worker that takes the job in the meantime sees the mark and stops.
      await withRedisTimeout(redis.set(cancelKey(config.QUEUE_PREFIX, id), '1', 'EX', CANCEL_KEY_TTL_SECONDS), timeout);
      const state = await withRedisTimeout(job.getState(), timeout);
      if (state === 'completed' || state === 'failed') {
        throw new HttpError(409, `job ${id} already ${toJobView(job, queue, state).state}`);
      }
      if (state !== 'active') {
        const removed = await withRedisTimeout(job.remove().then(() => true, () => false), timeout);
        if (removed) return reply.status(200).send({ id, state: 'removed' as const });
      }
      await withRedisTimeout(redis.publish(cancelChannel(config.QUEUE_PREFIX), id), timeout);
      return reply.status(202).send({ id, state: 'cancelling' as const });
    },
  );
};
