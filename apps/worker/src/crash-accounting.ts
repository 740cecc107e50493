import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { LuaScript } from '@mlq/jobs';

/** How long a job's run records outlive its last start (a job still waiting after a week is long gone). */
const RECORD_TTL_SECONDS = 7 * 24 * 3600;

/**
 * KEYS: the job's runs (worker id → start), its crashed workers. ARGV: this worker's id, now (ISO), TTL (s).
 * Moves every other worker's unfinished run to the crashed set, records this run, returns the crashed set.
 */
const beginScript = new LuaScript(`
local runs = redis.call('HKEYS', KEYS[1])
for i = 1, #runs do
  if runs[i] ~= ARGV[1] then
    redis.call('SADD', KEYS[2], runs[i])
    redis.call('HDEL', KEYS[1], runs[i])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return redis.call('SMEMBERS', KEYS[2])
`);

/** What `begin` found: the workers that died (or lost the lock) running this job, this run's included or not. */
export interface RunStart {
  /** Distinct worker processes whose run of this job never ended, all runs so far. */
  crashedWorkers: string[];
}

/**
 * Counts, per job, the distinct worker processes that died while running it. A run is recorded
 * (worker id → start time) when a job starts and removed when it ends in any way the worker
 * sees: completed, failed, released. A record still there when the job starts again is a run
 * whose worker died (kill -9, OOM kill, node lost) or lost the job's lock: that worker joins the
 * job's crash set. BullMQ's own stall limit is set out of the way, so a job is re-run however many
 * workers die, until `threshold` distinct workers died running it: then it is a poison job and
 * fails for good. A job that runs out of memory is caught before that by the memory guard or the
 * wasm heap check (a permanent failure of its own), so the threshold only meets what nothing else
 * catches.
 */
export class CrashAccounting {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** This process: host, pid and a random part (a restarted process is another worker). */
    readonly workerId: string,
    private readonly threshold: number,
  ) {}

  private keys(job: Job) {
    const base = `${this.prefix}:job-runs:${job.queueName}:${job.id}`;
    return { runs: base, crashed: `${base}:crashed` };
  }

  /** Records this run (one round trip); throws an UnrecoverableError (poison job) when too many workers died running it. */
  async begin(job: Job): Promise<RunStart> {
    const { runs, crashed } = this.keys(job);
    const crashedWorkers = (await beginScript.run(this.redis, [runs, crashed], [this.workerId, new Date().toISOString(), RECORD_TTL_SECONDS])) as string[];
    if (crashedWorkers.length >= this.threshold) {
      await this.redis.del(runs, crashed);
      throw new UnrecoverableError(
        `poison job: ${crashedWorkers.length} worker processes died while running it (${crashedWorkers.join(', ')}); ` + `at POISON_JOB_CRASHES=${this.threshold} it is not run again`,
      );
    }
    return { crashedWorkers };
  }

  /** This run ended as this worker saw it; `settled` (completed, or failed for good) also forgets the job's crashes. */
  async end(job: Job, settled: boolean): Promise<void> {
    const { runs, crashed } = this.keys(job);
    if (settled) await this.redis.del(runs, crashed);
    else await this.redis.hdel(runs, this.workerId);
  }
}
