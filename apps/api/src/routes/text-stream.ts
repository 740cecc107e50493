import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRedisConnection, QueueName, readTextStream } from '@mlq/jobs';
import { toJobView } from '../job-view.ts';

/** How long the stream waits, after the text ended, for the job to be marked completed. */
const RESULT_WAIT_MS = 30_000;

/**
 * Answers a textgen prediction as server-sent events: `job`, then `text` chunks as the worker
 * generates them, `reset` when a retried attempt starts over, and `result` (the finished job).
 * The text comes from the job's Redis stream read from its start, so nothing written before the
 * client connected is lost. Each open stream holds one Redis connection (XREAD BLOCK).
 */
export async function streamGeneratedText(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, jobId: string): Promise<void> {
  const { queues, config } = app.services;
  const queue = queues[QueueName.predict];
  const reader = createRedisConnection(config.REDIS_URL, 'worker');
  reader.on('error', () => {});
  const abort = new AbortController();

  reply.hijack();
  const out = reply.raw;
  out.writeHead(202, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', location: `/v1/jobs/${jobId}` });
  const send = (event: string, data: unknown) => {
    if (!abort.signal.aborted && !out.writableEnded) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  request.raw.on('close', () => abort.abort());
  const isFinished = async () => {
    const job = await queue.getJob(jobId);
    if (!job) return true;
    const state = await job.getState();
    return state === 'completed' || state === 'failed';
  };

  try {
    send('job', { jobId, location: `/v1/jobs/${jobId}` });
    for await (const entry of readTextStream(reader, config.QUEUE_PREFIX, jobId, { isFinished, signal: abort.signal })) {
      if (entry.type === 'text') send('text', { text: entry.text });
      else if (entry.type === 'reset') send('reset', { attempt: entry.attempt });
    }
    if (abort.signal.aborted) return;
    const job = await queue.getJob(jobId);
    if (job && !(await isFinished())) {
      const events = app.services.queueEvents(QueueName.predict);
      await events.waitUntilReady();
      await job.waitUntilFinished(events, RESULT_WAIT_MS).catch(() => undefined);
    }
    const done = await queue.getJob(jobId);
    if (done) send('result', toJobView(done, QueueName.predict, await done.getState()));
  } catch (error) {
    request.log.warn({ err: error, jobId }, 'text stream failed');
    send('error', { message: 'the text stream broke off; GET the job for its result', location: `/v1/jobs/${jobId}` });
  } finally {
    reader.disconnect();
    out.end();
  }
}
