import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';
import type { WorkerProcess } from './harness/processes.ts';

/**
 * Crash accounting with real worker processes killed by SIGKILL: a job whose workers died twice
 * still completes (BullMQ's own stall limit of 1 failed it: "job stalled more than allowable
 * limit"), and a job that takes down POISON_JOB_CRASHES distinct workers fails for good as a
 * poison job. Locks of 2 s, stall checks every second, so a dead worker's job moves on in seconds.
 */
const workerEnv = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000', POISON_JOB_CRASHES: '3' };

let system: TestSystem;
let redis: Redis;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0, workerEnv });
  redis = new Redis(system.redis.url);
  // The API's first dataset lookup parses every bundled dataset inside the Redis timeout and may
  // answer 503 on a loaded machine (not this file's subject): warm it up first.
  for (let i = 0; i < 20 && (await system.api.inject({ method: 'GET', url: '/v1/datasets/crypto-top100' })).statusCode !== 200; i++);
});
afterEach(async () => {
  await Promise.all(system.workers().map((w) => w.stop('SIGKILL')));
});
afterAll(async () => {
  redis?.disconnect();
  await system?.close();
});

/** Long enough to be killed mid-run several times (many small batches), short enough to finish. */
const training = { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Ethereum', params: { window: 10, units1: 8, units2: 8, epochs: 12, batchSize: 16 } };

async function enqueue(): Promise<string> {
  const response = await system.api.inject({ method: 'POST', url: '/v1/train', payload: training });
  expect(response.statusCode, response.body).toBe(202);
  return response.json().jobId;
}

/**
 * Starts a worker, waits until it runs the job (its run is recorded: a worker killed between
 * taking a job and recording the run, a few milliseconds, is not counted), kills it with SIGKILL.
 */
async function killWhileRunning(jobId: string): Promise<WorkerProcess> {
  const worker = await system.startWorker();
  await worker.waitForLog((l) => l.msg === 'job started' && l.jobId === jobId, 60_000);
  const runs = `${system.redis.prefix}:job-runs:train:${jobId}`;
  const deadline = Date.now() + 10_000;
  while (!Object.keys(await redis.hgetall(runs)).some((id) => id.includes(`:${worker.child.pid}:`))) {
    if (Date.now() > deadline) throw new Error(`worker ${worker.child.pid} never recorded its run of ${jobId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await worker.stop('SIGKILL');
  return worker;
}

describe('jobs whose workers die', () => {
  it('a job whose worker was killed twice is run a third time and completes, the killed runs spending no attempt', async () => {
    const jobId = await enqueue();
    await killWhileRunning(jobId);
    await killWhileRunning(jobId);
    const survivor = await system.startWorker();
    const rerun = await survivor.waitForLog((l) => l.msg?.toString().startsWith('running a job again') === true && l.jobId === jobId, 60_000);
    expect(rerun.crashedWorkers).toHaveLength(2);
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state, job.error).toBe('completed');
    expect(job.attempts.made).toBe(1); // the run that completed: the two killed runs spent none
  }, 240_000); // three worker starts (a few seconds each) and a training

  it('a job that took down POISON_JOB_CRASHES distinct workers fails for good as a poison job', async () => {
    const jobId = await enqueue();
    const killed = [];
    for (let i = 0; i < 3; i++) killed.push(await killWhileRunning(jobId));
    const next = await system.startWorker();
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 60_000 });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^poison job: 3 worker processes died while running it \(.*\); at POISON_JOB_CRASHES=3 it is not run again$/);
    for (const worker of killed) expect(job.error).toContain(`:${worker.child.pid}:`);
    // The worker that refused it is fine and runs the next job.
    expect(next.child.exitCode).toBeNull();
  }, 240_000);
});
