import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withRedisTimeout } from '@mlq/jobs';
import { findJob, toJobView, withCurrentState } from '../job-view.ts';

const terminal = new Set(['completed', 'failed', 'cancelled']);

/**
 * `GET /v1/jobs/:id/events`: server-sent events for one job. First `state` (the job as
 * `GET /v1/jobs/:id` shows it), then `progress` on every update (each epoch of a training), and
 * a last `state` once it completes or fails, after which the stream ends.
 */
export const jobEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { queues, config } = app.services;
  const timeout = config.REDIS_TIMEOUT_MS;

  app.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Stream a job\'s progress and end state as server-sent events',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'event: state|progress, data: JSON' }),
          404: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const { job, queue } = await withRedisTimeout(findJob(queues, request.params.id), timeout);
      const id = job.id!;
      const events = app.services.queueEvents(queue);
      await withRedisTimeout(events.waitUntilReady(), timeout);

      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      let closed = false;
      const send = (event: string, data: unknown) => {
        // The client may have gone while a Redis read was in flight.
        if (!closed && !out.writableEnded) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const sendState = async () => {
        const found = await queues[queue].getJob(id);
        if (!found || closed) return;
        const current = await withCurrentState(queues[queue], found);
        const view = toJobView(current.job, queue, current.state);
        send('state', view);
        if (terminal.has(view.state)) close();
      };
      const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
        if (jobId === id) send('progress', data);
      };
      const onFinished = ({ jobId }: { jobId: string }) => {
        if (jobId === id) void sendState().catch(close);
      };
      function close() {
        if (closed) return;
        closed = true;
        events.off('progress', onProgress);
        events.off('completed', onFinished);
        events.off('failed', onFinished);
        out.end();
      }
      // Listen first, then read the state, so nothing between the two is missed.
      events.on('progress', onProgress);
      events.on('completed', onFinished);
      events.on('failed', onFinished);
      request.raw.on('close', close);
      await sendState().catch(close);
    },
  );
};
