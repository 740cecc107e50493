import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  checkPredictFields,
  createJobId,
  jobCatalog,
  ModelNotFoundError,
  PredictPayloadSchema,
  QueueName,
  RegistryChangedError,
  UsageIndex,
  withRedisTimeout,
  type ModelRecord,
  type ResolvedModel,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { apiFamilyOf, streamingKinds } from '../families/index.ts';
import { findJob, toJobView } from '../job-view.ts';
import { streamClient } from '../event-stream.ts';
import { streamGeneratedText } from '../text-stream.ts';
import { acceptedJob, AcceptedSchema } from '../accepted-job.ts';
import { listenForFinish } from '../job-finish.ts';

/** Resolutions of a model reference one request tries while the registry keeps changing under it. */
const MAX_RESOLVE_ATTEMPTS = 5;

/**
 * `POST /v1/predict`: enqueues a prediction from a registered model; answers 202 at once, or the
 * finished job within `?wait=` seconds, or (`?stream=true`, textgen) the text as it is generated.
 */
export const predictRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, modelReferences: references, redis, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;
  const usage = new UsageIndex(redis, config.QUEUE_PREFIX);

  app.post(
    '/v1/predict',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a prediction from a trained model; with `wait`, answer with the result; with `stream`, stream generated text',
        description:
          "The fields after `model` depend on the model's kind: `horizon`, `history` (price); `seedText`, `length`, `temperature`, `topK`, `randomSeed` (textgen); " +
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
      const { stream, wait } = request.query;
      /** The checks that need the model's record; a refusal is only ever answered from a fresh read of the registry. */
      const check = (model: ModelRecord) => {
        const misfit = checkPredictFields(model.kind, payload);
        if (misfit) throw new HttpError(400, misfit.message, `body/${misfit.field}`);
        if (payload.stream !== undefined) throw new HttpError(400, 'set stream with the query parameter: POST /v1/predict?stream=true', 'body/stream');
        const family = apiFamilyOf(model.kind);
        family.checkPredict(model, payload);
        if (stream && !family.streams) throw new HttpError(400, `stream applies to ${streamingKinds().join(', ')} models; model ${model.id} is a ${model.kind} model`, 'querystring/stream');
      };
      const resolveChecked = async (fresh: boolean): Promise<ResolvedModel> => {
        const resolved = await withRedisTimeout(fresh ? references.resolveFresh(payload.model) : references.resolve(payload.model), timeout);
        try {
          check(resolved.record);
        } catch (error) {
          if (resolved.cached) return resolveChecked(true);
          throw error;
        }
        return resolved;
      };
      let resolved = await resolveChecked(false);

      // A stream's place is taken before its job exists: a 429 enqueues nothing.
      const release = stream ? app.services.streams.slots.acquire(streamClient(request)) : undefined;
      const jobId = createJobId('predict');
      // Listening from before the job exists, so its end cannot be missed and needs no read of its state.
      const events = wait > 0 && !release ? app.services.queueEvents(QueueName.predict) : undefined;
      const finish = events ? listenForFinish(events, queues.predict, jobId) : undefined;
      try {
        if (events) await withRedisTimeout(events.waitUntilReady(), timeout);
        for (let attempt = 1; ; attempt++) {
          const model = resolved.record;
          const add = () => queues.predict.add('predict', { ...payload, model: model.id, ...(stream ? { stream: true } : {}) }, { ...jobCatalog.predict.options, jobId });
          try {
            // The claim checks that the registry has not changed since the reference was resolved.
            await withRedisTimeout(usage.enqueue({ queue: QueueName.predict, id: jobId }, [{ type: 'model', id: model.id }], add, { registryGeneration: resolved.generation }), timeout);
            break;
          } catch (error) {
            if (attempt >= MAX_RESOLVE_ATTEMPTS) throw error;
            if (error instanceof RegistryChangedError) references.adopt(error.generation);
            else if (!(error instanceof ModelNotFoundError && resolved.cached)) throw error;
            resolved = await resolveChecked(true);
          }
        }
      } catch (error) {
        release?.();
        finish?.stop();
        throw error;
      }
      request.log.info({ jobId, queue: QueueName.predict, model: resolved.record.id }, 'job enqueued');
      if (release) return streamGeneratedText(app, request, reply, jobId, release);
      if (finish) {
        const outcome = await finish.wait(wait * 1000);
        if (outcome !== 'timeout') {
          const { job: done, queue } = await withRedisTimeout(findJob(queues, jobId), timeout);
          return reply.status(200).send(toJobView(done, queue, outcome));
        }
      }
      return reply.status(202).send(acceptedJob(jobId, QueueName.predict));
    },
  );
};
