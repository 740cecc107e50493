import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withRedisTimeout } from '@mlq/jobs';
import { findJob, toJobView, withCurrentState } from '../job-view.ts';
import { openEventStream, streamClient } from '../event-stream.ts';

const terminal = new Set(['completed', 'failed', 'cancelled']);

/**
 * `GET /v1/jobs/:id/events`: server-sent events for one job. First `state` (the job as
 * `GET /v1/jobs/:id` shows it), then `progress` on every update (each epoch of a training), and
 * a last `state` once it completes or fails, after which the stream ends. It also ends with
 * `removed` when the job is deleted, and with `timeout` after SSE_MAX_SECONDS (reconnect then);
 * a `: heartbeat` comment comes every SSE_HEARTBEAT_SECONDS.
 */
export const jobEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, config, streams } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;

  app.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        tags: ['jobs'],
        summary: "Stream a job's progress and end state as server-sent events",
        description:
          'Events: `state`, `progress`, a last `state` when the job ends; `removed` when it is deleted; `timeout` after SSE_MAX_SECONDS (reconnect). ' +
          'A `: heartbeat` comment every SSE_HEARTBEAT_SECONDS. At most SSE_MAX_PER_CLIENT open streams per API key (or client address): 429 past it.',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'event: state|progress|removed|timeout, data: JSON' }),
          404: Type.Ref('Error'),
          429: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const { job, queue } = await withRedisTimeout(findJob(queues, request.params.id), timeout);
      const id = job.id!;
      const release = streams.slots.acquire(streamClient(request));
      const events = app.services.queueEvents(queue);
      try {
        await withRedisTimeout(events.waitUntilReady(), timeout);
      } catch (error) {
        release();
        throw error;
      }

      const stream = openEventStream(request, reply, { status: 200, limits: streams.limits, release, timeout: { reconnect: true, location: `/v1/jobs/${id}/events` } });
      const removed = () => {
        stream.send('removed', { id, message: 'the job was removed' });
        stream.close();
      };
      const sendState = async () => {
        const found = await queues[queue].getJob(id);
        if (stream.closed) return;
        if (!found) return removed();
        const current = await withCurrentState(queues[queue], found);
        const view = toJobView(current.job, queue, current.state);
        stream.send('state', view);
        if (terminal.has(view.state)) stream.close();
      };
      const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
        if (jobId === id) stream.send('progress', data);
      };
      const onFinished = ({ jobId }: { jobId: string }) => {
        if (jobId === id) void sendState().catch(() => stream.close());
      };
      const onRemoved = ({ jobId }: { jobId: string }) => {
        if (jobId === id) removed();
      };
      // Listen first, then read the state, so nothing between the two is missed.
      events.on('progress', onProgress);
      events.on('completed', onFinished);
      events.on('failed', onFinished);
      events.on('removed', onRemoved);
      stream.onClose(() => {
        events.off('progress', onProgress);
        events.off('completed', onFinished);
        events.off('failed', onFinished);
        events.off('removed', onRemoved);
      });
      await sendState().catch(() => stream.close());
    },
  );
};
