import { Redis } from 'ioredis';
import type { HttpClient } from './http.ts';
import type { ChaosSystem } from './system.ts';

/** A job (or batch) a scenario submitted and must see finish. */
export interface TrackedJob {
  id: string;
  type: 'job' | 'batch';
  /** A model name used by this job only: its registry must end with exactly one version. */
  uniqueName?: string;
}

export interface JobAccount {
  submitted: number;
  completed: number;
  /** Submitted, then neither finished nor present (404, or still unfinished at the deadline). */
  lost: string[];
  /** Work that ran to completion twice: a job completed twice, a model name with two versions for one job. */
  duplicated: string[];
  /** `id: error` of failed jobs (batch children included). */
  failed: string[];
  /** Final views by id (batch children included). */
  views: Map<string, any>;
}

const finishedStates = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

/**
 * Polls every tracked job until it finishes (or `timeoutMs` passes), then counts what the issue
 * asks: lost, duplicated (from the workers' `job completed` lines and the model registry), failed.
 */
export async function settleJobs(system: ChaosSystem, client: HttpClient, jobs: readonly TrackedJob[], timeoutMs: number): Promise<JobAccount> {
  const views = new Map<string, any>();
  const missing = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  let pending = [...jobs];
  while (pending.length > 0 && Date.now() < deadline) {
    const still: TrackedJob[] = [];
    await inBatches(pending, 25, async (job) => {
      const answer = await client.get(job.type === 'batch' ? `/v1/batches/${job.id}` : `/v1/jobs/${job.id}`, { timeoutMs: 30_000 });
      if (answer.status === 404) missing.set(job.id, (missing.get(job.id) ?? 0) + 1);
      if (answer.status === 200) {
        views.set(job.id, answer.json);
        missing.delete(job.id);
      }
      // A 404 twice in a row is lost; a 503 or a transport error (Redis coming back) is asked again.
      const done = (answer.status === 200 && finishedStates.has(answer.json?.state)) || (missing.get(job.id) ?? 0) >= 2;
      if (!done) still.push(job);
    });
    pending = still;
    if (pending.length > 0) await sleep(500);
  }

  const account: JobAccount = { submitted: jobs.length, completed: 0, lost: [], duplicated: [], failed: [], views };
  const completions = new Map<string, number>();
  for (const line of system.workerLogs()) {
    if (line.msg === 'job completed' && typeof line.jobId === 'string') completions.set(line.jobId, (completions.get(line.jobId) ?? 0) + 1);
  }
  const redis = new Redis(system.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    for (const job of jobs) {
      const view = views.get(job.id);
      if (!view || !finishedStates.has(view.state)) {
        account.lost.push(`${job.id}: ${view ? `still ${view.state}` : 'not found'}`);
        continue;
      }
      const ids = [job.id];
      if (job.type === 'batch') {
        for (const child of view.series ?? []) {
          ids.push(child.jobId);
          views.set(child.jobId, child);
          if (child.state === 'failed') account.failed.push(`${child.jobId} (${child.series}): ${child.error}`);
          else if (child.state !== 'completed') account.lost.push(`${child.jobId} (${child.series}): ${child.state}`);
        }
      }
      if (view.state === 'completed') account.completed++;
      else if (view.state === 'failed') account.failed.push(`${job.id}: ${view.error}`);
      for (const id of ids) if ((completions.get(id) ?? 0) > 1) account.duplicated.push(`${id}: completed ${completions.get(id)} times`);
      if (job.uniqueName) {
        const versions = await redis.zcard(`${system.prefix}:registry:name:${job.uniqueName}`);
        if (versions > 1) account.duplicated.push(`${job.id}: model ${job.uniqueName} registered ${versions} times`);
      }
    }
  } finally {
    redis.disconnect();
  }
  return account;
}

/** Polls one job until `done` holds or the deadline passes; the last view (undefined if never seen). */
export async function waitForJob(client: HttpClient, id: string, done: (view: any) => boolean, timeoutMs: number, path = `/v1/jobs/${id}`): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const answer = await client.get(path, { timeoutMs: 30_000 });
    if (answer.status === 200) {
      last = answer.json;
      if (done(last)) return last;
    }
    await sleep(150);
  }
  return last;
}
