import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueueName } from '@mlq/jobs';
import { toJobView, withCurrentState } from './job-view.ts';
import { openEventStream } from './event-stream.ts';

/** How long the stream waits, after the text ended, for the job to be marked completed. */
const RESULT_WAIT_MS = 30_000;

/**
 * Answers a textgen prediction as server-sent events: `job`, then `text` chunks as the worker
 * generates them, `reset` when a retried attempt starts over, and `result` (the finished job);
 * `removed` when the job is deleted meanwhile, `timeout` past SSE_MAX_SECONDS (poll the job then).
 * The text comes from the job's Redis stream read from its start, so nothing written before the
 * client connected is lost; every open stream of this replica is read over one shared connection.
 * `release` frees the client's stream slot (taken before the job was enqueued).
 */
export async function streamGeneratedText(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, jobId: string, release: () => void): Promise<void> {
  const { queues, streams } = app.services;
  const queue = queues[QueueName.predict];
  const location = `/v1/jobs/${jobId}`;
  const events = app.services.queueEvents(QueueName.predict);
  const stream = openEventStream(request, reply, {
    status: 202,
    headers: { location },
    limits: streams.limits,
    release,
    timeout: { reconnect: false, poll: location },
  });

  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    try {
      const job = await queue.getJob(jobId);
      if (!job) {
        stream.send('removed', { jobId, message: 'the job was removed' });
        return stream.close();
      }
      const { job: current, state } = await withCurrentState(queue, job);
      if (state !== 'completed' && state !== 'failed') {
        // A failed attempt that will be retried, or the text's end before the job's: keep streaming.
        finishing = false;
        return;
      }
      await subscription.finish();
      stream.send('result', toJobView(current, QueueName.predict, state));
    } catch (error) {
      request.log.warn({ err: error, jobId }, 'text stream failed');
      stream.send('error', { message: 'the text stream broke off; GET the job for its result', location });
    }
    stream.close();
  };
  const onFinished = ({ jobId: id }: { jobId: string }) => {
    if (id === jobId) void finish();
  };
  const onRemoved = ({ jobId: id }: { jobId: string }) => {
    if (id !== jobId || finishing) return;
    finishing = true;
    stream.send('removed', { jobId, message: 'the job was removed' });
    stream.close();
  };
  let textEnded: NodeJS.Timeout | undefined;
  const subscription = streams.text.subscribe(jobId, (entry) => {
    if (entry.type === 'text') stream.send('text', { text: entry.text });
    else if (entry.type === 'reset') stream.send('reset', { attempt: entry.attempt });
    // The worker writes `end` just before it completes the job: its `completed` event follows.
    else textEnded = setTimeout(() => void finish(), RESULT_WAIT_MS);
  });
  events.on('completed', onFinished);
  events.on('failed', onFinished);
  events.on('removed', onRemoved);
  stream.onClose(() => {
    clearTimeout(textEnded);
    subscription.close();
    events.off('completed', onFinished);
    events.off('failed', onFinished);
    events.off('removed', onRemoved);
  });

  stream.send('job', { jobId, location });
  // Listening first, then reading the state, misses nothing that happened in between.
  try {
    await events.waitUntilReady();
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : undefined;
    if (!job) onRemoved({ jobId });
    else if (state === 'completed' || state === 'failed') void finish();
  } catch (error) {
    request.log.warn({ err: error, jobId }, 'text stream failed');
    stream.send('error', { message: 'the text stream broke off; GET the job for its result', location });
    stream.close();
  }
}
