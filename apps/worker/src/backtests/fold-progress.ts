import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BacktestProgress, FoldState } from '@mlq/jobs';

/** How long the fold states of a backtest stay in Redis (the parent deletes them when it ends). */
const FOLD_STATES_TTL_SECONDS = 7 * 24 * 3600;
/** The lock that orders progress writes: held for one read and one write, a few milliseconds. */
const LOCK_MS = 2_000;
const LOCK_ATTEMPTS = 40;
const LOCK_RETRY_MS = 25;

const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export const foldStatesKey = (prefix: string, backtestId: string) => `${prefix}:backtest-folds:${backtestId}`;

/** One fold's entry in the states hash. */
interface FoldEntry {
  state: FoldState;
  modelMae?: number;
  naiveMae?: number;
}

/** The parent's progress from every fold's entry (folds with none yet are waiting). */
export function backtestProgress(folds: number, entries: Record<string, string>): BacktestProgress {
  const byFold = Array.from({ length: folds }, (_, index) => {
    const entry = entries[String(index)] ? (JSON.parse(entries[String(index)]!) as FoldEntry) : { state: 'waiting' as const };
    return { index, ...entry };
  });
  const count = (state: FoldState) => byFold.filter((fold) => fold.state === state).length;
  return { kind: 'backtest', folds, completed: count('completed'), failed: count('failed'), active: count('active'), byFold };
}

/**
 * Records a fold's state and publishes the backtest's progress on its parent job (`GET
 * /v1/jobs/bk_…`, its event stream). Several folds end at once on several workers: each writes its
 * own entry, then, holding a short lock, reads every entry and writes the progress, so progress
 * never goes backwards. Best effort: a fold that cannot get the lock leaves the publishing to the
 * next one (and the parent writes the final figures).
 */
export async function reportFoldState(redis: Redis, prefix: string, parents: Queue, job: Job, folds: number, index: number, entry: FoldEntry): Promise<void> {
  const parentId = job.parent?.id;
  if (!parentId) return;
  const key = foldStatesKey(prefix, parentId);
  await redis.multi().hset(key, String(index), JSON.stringify(entry)).expire(key, FOLD_STATES_TTL_SECONDS).exec();
  const lock = `${key}:lock`;
  const token = randomUUID();
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    if ((await redis.set(lock, token, 'PX', LOCK_MS, 'NX')) === 'OK') {
      try {
        const parent = await Job.fromId(parents, parentId);
        if (parent) await parent.updateProgress(backtestProgress(folds, await redis.hgetall(key)));
      } finally {
        await redis.eval(releaseScript, 1, lock, token);
      }
      return;
    }
    await sleep(LOCK_RETRY_MS);
  }
}
