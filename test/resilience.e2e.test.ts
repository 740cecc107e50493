import { describe, expect, it } from 'vitest';
import { pollJob, finished } from './harness/system.ts';
import { useTrainingSystem } from './harness/hooks.ts';

/**
 * Workers here renew a 2 s lock every second and look for stalled jobs every second, so a dead
 * worker's job moves on within seconds, and a training that blocked the event loop for longer
 * than a lock would be caught as stalled. (Shorter locks make the suite flaky on a loaded
 * 2-core CI machine, where other test files compete for the CPU.)
 */
const fastLocks = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
const lockMs = Number(fastLocks.LOCK_DURATION_MS);

const harness = useTrainingSystem(fastLocks);

/**
 * A training that runs several seconds: many epochs of many small batches. Small batches keep each
 * step short (the lock is renewed between steps), and many of them keep the job long even where
 * the fast recurrent layers make every step cheap; the first test asserts it really outlasts the lock.
 */
const longTraining = (epochs: number) => ({
  kind: 'price',
  architecture: 'lstm',
  dataset: 'crypto-top100',
  series: 'Ethereum',
  params: { window: 10, units1: 8, units2: 8, epochs, batchSize: 16 },
});

async function enqueue(epochs: number): Promise<string> {
  const response = await harness.system.api.inject({ method: 'POST', url: '/v1/train', payload: longTraining(epochs) });
  expect(response.statusCode, response.body).toBe(202);
  return response.json().jobId;
}

describe('training and BullMQ locks', () => {
  it('a training that outlasts the lock duration many times completes exactly once, never stalled', async () => {
    const worker = await harness.system.startWorker();
    const jobId = await enqueue(30);
    const job = await pollJob(harness.system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state, job.error).toBe('completed');
    const ranForMs = Date.parse(job.finishedAt) - Date.parse(job.startedAt);
    expect(ranForMs).toBeGreaterThan(3 * lockMs);
    expect(harness.stalled).not.toContain(jobId);
    expect(worker.logs.filter((l) => l.msg === 'job started' && l.jobId === jobId)).toHaveLength(1);
    expect(worker.logs.filter((l) => l.msg === 'job stalled; put back in the queue')).toHaveLength(0);
    await worker.stop();
  });
});

describe('workers dying and stopping', () => {
  it('kill -9 mid-training: another worker picks the job up and completes it', async () => {
    const doomed = await harness.system.startWorker();
    const jobId = await enqueue(12);
    await pollJob(harness.system.api, jobId, (job) => job.state === 'active' && job.progress?.epoch >= 2, { timeoutMs: 60_000 });
    await doomed.stop('SIGKILL');

    const rescuer = await harness.system.startWorker();
    const job = await pollJob(harness.system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state, job.error).toBe('completed');
    expect(harness.stalled).toContain(jobId);
    expect(rescuer.logs.some((l) => l.msg === 'job completed' && l.jobId === jobId)).toBe(true);
    await rescuer.stop();
  });

  it('SIGTERM with an active training: the job is released within the grace period, then finished elsewhere', async () => {
    const leaving = await harness.system.startWorker({ SHUTDOWN_GRACE_MS: '1500' });
    const jobId = await enqueue(12);
    await pollJob(harness.system.api, jobId, (job) => job.state === 'active' && job.progress?.epoch >= 1, { timeoutMs: 60_000 });
    const stoppedAt = Date.now();
    const code = await leaving.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(1500 + 5000);
    const released = (await harness.system.api.inject({ method: 'GET', url: `/v1/jobs/${jobId}` })).json();
    expect(released.state).toBe('waiting');
    expect(released.attempts.made).toBe(0); // released, not failed

    const next = await harness.system.startWorker();
    const job = await pollJob(harness.system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state, job.error).toBe('completed');
    await next.stop();
  });

  it('SIGTERM with a short job lets it finish', async () => {
    const worker = await harness.system.startWorker({ SHUTDOWN_GRACE_MS: '60000', LOCK_DURATION_MS: '30000' });
    const jobId = await enqueue(3);
    await pollJob(harness.system.api, jobId, (job) => job.state === 'active' || finished(job));
    expect(await worker.stop('SIGTERM')).toBe(0);
    const job = (await harness.system.api.inject({ method: 'GET', url: `/v1/jobs/${jobId}` })).json();
    expect(job.state, JSON.stringify(worker.logs.map((l) => `${l.msg} ${l.jobId ?? ''} ${l.reason ?? ''}`))).toBe('completed');
  });
});
