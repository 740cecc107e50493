import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Job } from 'bullmq';
import { cancelChannel, cancelKey, CANCEL_KEY_TTL_SECONDS, queueNames, withRedisTimeout } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { findJob, toJobView, withCurrentState } from '../job-view.ts';
import { listJobs, MAX_LIST_LIMIT, MAX_LIST_OFFSET } from '../job-listing.ts';
import { listingFilterStates } from '../job-states.ts';

/** Children a flow parent still waits for: at most this many are cancelled one by one (a batch has at most 1,000). */
const MAX_CANCELLED_CHILDREN = 1_000;

/** Jobs of every queue: `GET /v1/jobs/:id`, the listing `GET /v1/jobs`, and cancellation `DELETE /v1/jobs/:id`. */
export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, redis, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;

  /**
   * Cancels the children a parent waits for: marks each (a worker that takes one meanwhile stops
   * it), removes those not started; returns their ids, for the running ones to be told to stop.
   */
  const cancelChildren = async (parent: Job): Promise<string[]> => {
    const { unprocessed = [] } = await parent.getDependencies({ unprocessed: { count: MAX_CANCELLED_CHILDREN } });
    const ids = unprocessed.map((key) => key.slice(key.lastIndexOf(':') + 1));
    if (ids.length === 0) return [];
    const marks = redis.pipeline();
    for (const child of ids) marks.set(cancelKey(config.QUEUE_PREFIX, child), '1', 'EX', CANCEL_KEY_TTL_SECONDS);
    await marks.exec();
    await parent.removeUnprocessedChildren();
    return ids;
  };

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
          state: Type.Optional(Type.Union(listingFilterStates.map((s) => Type.Literal(s)))),
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
      const { jobs, more } = await withRedisTimeout(listJobs(redis, queues, queue ? [queue] : queueNames, { state, limit, offset }), timeout);
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
          'and the job ends as `cancelled` (202, state `cancelling`). A batch or backtest whose children run: the children not started are removed, ' +
          'the running ones stopped, and the parent ends as `cancelled` (202). A finished job cannot be cancelled (409).',
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
        const removed = await withRedisTimeout(
          job.remove().then(
            () => true,
            () => false,
          ),
          timeout,
        );
        if (removed) return reply.status(200).send({ id, state: 'removed' as const });
      }
      // A flow parent (batch, backtest) some of whose children run: those not started go, the
      // running ones are asked to stop; the parent then runs, sees its mark and ends as cancelled.
      const children = state === 'waiting-children' ? await withRedisTimeout(cancelChildren(job), timeout * 2) : [];
      await withRedisTimeout(Promise.all([id, ...children].map((jobId) => redis.publish(cancelChannel(config.QUEUE_PREFIX), jobId))), timeout);
      return reply.status(202).send({ id, state: 'cancelling' as const });
    },
  );
};
