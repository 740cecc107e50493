import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createJobId, jobCatalog, QueueName, TrainPayloadSchema, trainingUses, UsageIndex, withRedisTimeout } from '@mlq/jobs';
import { compileKindDiscriminatedRequest } from '../plugins/kind-validator.ts';
import { checkTrainPayload } from '../checks/train-checks.ts';
import { acceptedJob, AcceptedSchema } from '../accepted-job.ts';

/** `POST /v1/train`: checks a training against its dataset and the workers' memory, then enqueues it. */
export const trainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, redis, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;
  const usage = new UsageIndex(redis, config.QUEUE_PREFIX);

  app.post(
    '/v1/train',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a training job',
        description:
          'Trains a model and registers it as the next version of its name. `kind` picks the family: `price` (a statistical, linear or LSTM forecast of one series, with intervals and skill), ' +
          '`textgen` (character-level LSTM/GRU on a text dataset) or `seq2seq` (encoder-decoder chat model on a pairs dataset).',
        body: TrainPayloadSchema,
        response: { 202: AcceptedSchema, 400: Type.Ref('Error'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
      validatorCompiler: compileKindDiscriminatedRequest(TrainPayloadSchema),
    },
    async (request, reply) => {
      const payload = request.body;
      await checkTrainPayload(app, payload);
      const jobId = createJobId('train');
      const add = () => queues.train.add('train', payload, { ...jobCatalog.train.options, jobId });
      await withRedisTimeout(usage.enqueue({ queue: QueueName.train, id: jobId }, trainingUses(payload), add), timeout);
      request.log.info({ jobId, queue: QueueName.train, kind: payload.kind }, 'job enqueued');
      return reply.status(202).send(acceptedJob(jobId, QueueName.train));
    },
  );
};
