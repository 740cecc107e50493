import type { Job, JobState, JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from '@mlq/jobs';
import { toJobView, viewState, type JobView } from './job-view.ts';
import { jobStates, type ListingFilterState } from './job-states.ts';

/** Deepest page of `GET /v1/jobs`: what a request reads grows with offset + limit, so both are capped. */
export const MAX_LIST_OFFSET = 1000;
export const MAX_LIST_LIMIT = 100;

export interface ListJobsQuery {
  state?: ListingFilterState;
  limit: number;
  offset: number;
}

interface Candidate {
  id: string;
  queue: QueueName;
  state: JobState;
  timestamp: number;
  failedReason: string | null;
}

/**
 * Jobs, newest first, filtered by queue and state, at a bounded cost: per queue and state one range
 * read of at most `offset + limit` ids (`MAX_LIST_OFFSET + MAX_LIST_LIMIT` for `failed` and
 * `cancelled`), one pipeline reading the creation time (and, for failed jobs, the reason that tells
 * a cancelled one) of those ids, then only the page's jobs loaded whole. Nothing is read in
 * proportion to the jobs Redis retains beyond that window.
 */
export async function listJobs(redis: Redis, queues: Record<QueueName, Queue>, scanned: readonly QueueName[], query: ListJobsQuery): Promise<{ jobs: JobView[]; more: boolean }> {
  const { state, limit, offset } = query;
  const types: JobState[] = state === 'cancelled' ? ['failed'] : state ? [state] : [...jobStates];
  const window = offset + limit;
  // Failed and cancelled jobs share one set, told apart by their reason: a page of either is cut
  // from the filtered list, so that set is read to the deepest window any page may need.
  const filtered = state === 'failed' || state === 'cancelled';
  const depth = filtered ? MAX_LIST_OFFSET + MAX_LIST_LIMIT : window;
  const ranges = await Promise.all(
    scanned.flatMap((name) => types.map(async (type) => ({ queue: name, type, ids: (await queues[name].getRanges([type as JobType], 0, depth - 1, false)) as string[] }))),
  );

  const wanted = ranges.flatMap(({ queue, type, ids }) => ids.map((id) => ({ id, queue, state: type })));
  const pipeline = redis.pipeline();
  for (const { id, queue } of wanted) pipeline.hmget(queues[queue].toKey(id), 'timestamp', 'failedReason');
  const fields = (await pipeline.exec()) ?? [];

  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  wanted.forEach((entry, index) => {
    const [error, values] = fields[index] ?? [];
    const [timestamp, failedReason] = (values as Array<string | null> | undefined) ?? [];
    // Removed since the range was read, or seen in two states while it moved.
    if (error || timestamp === null || timestamp === undefined || seen.has(entry.id)) return;
    seen.add(entry.id);
    candidates.push({ ...entry, timestamp: Number(timestamp), failedReason: failedReason ?? null });
  });

  const matching = candidates.filter((c) => !state || viewState(c.state, c.failedReason ?? undefined) === state);
  matching.sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const page = matching.slice(offset, window);
  const loaded = await Promise.all(page.map(async (c) => ({ candidate: c, job: (await queues[c.queue].getJob(c.id)) as Job | undefined })));
  const jobs = await Promise.all(loaded.flatMap(({ candidate, job }) => (job ? [currentState(job, candidate.state).then((s) => toJobView(job, candidate.queue, s))] : [])));
  // An unfiltered range read that came back full may hold more beyond the window.
  const more = matching.length > window || (!filtered && ranges.some((r) => r.ids.length >= window));
  return { jobs, more };
}

/** A job that finished after its range was read shows as finished, not as it was (one more read, for those only). */
async function currentState(job: Job, listed: JobState): Promise<JobState | 'unknown'> {
  if (job.finishedOn && listed !== 'completed' && listed !== 'failed') return job.getState();
  return listed;
}
