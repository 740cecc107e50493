import type { Job } from 'bullmq';
import { readCheckpointHeader, type ArtifactIO, type CheckpointHook } from '@mlq/models';
import { isRetryable } from '@mlq/specs';
import { scopedArtifacts, type ArtifactStore } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import { AbortReason } from './job-guards.ts';

interface LatestPointer {
  step: number;
  epoch?: number;
  prefix: string;
}

/** A checkpoint found in the store: where it stands and where to read it. */
export interface FoundCheckpoint {
  step: number;
  /** Epochs finished. */
  epoch: number;
  io: ArtifactIO;
}

/**
 * Checkpoints of one training job (any family) in the artifact store, under `checkpoints/<jobId>/`.
 * Each checkpoint is written whole into its own folder, then `latest.json` (an atomic put) is
 * pointed at it and the previous one removed: a worker killed mid-write leaves the last complete
 * checkpoint in place. A retried or released job finds it under the same job id.
 */
export class TrainingCheckpointStore {
  private readonly root: string;

  constructor(
    private readonly store: ArtifactStore,
    jobId: string,
  ) {
    this.root = `checkpoints/${jobId}`;
  }

  /** The newest complete checkpoint, or undefined when there is none (or it cannot be read, see `problem`). */
  async latest(): Promise<FoundCheckpoint | { problem: string } | undefined> {
    const pointer = await this.pointer();
    if (!pointer) return undefined;
    const io = scopedArtifacts(this.store, pointer.prefix);
    try {
      const { position } = await readCheckpointHeader(io);
      return { step: position.step, epoch: position.epoch, io };
    } catch (error) {
      return { problem: `checkpoint at step ${pointer.step} is unreadable: ${(error as Error).message}` };
    }
  }

  /** Writes a checkpoint through `write` and makes it the latest. */
  async save(position: { step: number; epoch?: number }, write: (io: ArtifactIO) => Promise<void>): Promise<void> {
    const previous = await this.pointer();
    let prefix = `${this.root}/step-${position.step}`;
    // Never overwrite the checkpoint latest.json points at: a kill mid-write would leave none.
    if (previous?.prefix === prefix) prefix = `${prefix}-${Date.now().toString(36)}`;
    await write(scopedArtifacts(this.store, prefix));
    const pointer: LatestPointer = { ...position, prefix };
    await this.store.put(`${this.root}/latest.json`, new TextEncoder().encode(JSON.stringify(pointer)));
    if (previous && previous.prefix !== prefix) await this.store.remove(previous.prefix);
  }

  /** Removes every checkpoint of the job (once its model is saved, or the job has ended for good). */
  async remove(): Promise<void> {
    await this.store.remove(this.root);
  }

  private async pointer(): Promise<LatestPointer | undefined> {
    if (!(await this.store.exists(`${this.root}/latest.json`))) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(await this.store.get(`${this.root}/latest.json`))) as LatestPointer;
    } catch {
      return undefined;
    }
  }
}

/** Which checkpoints a job writes: all (every interval and epoch end, and at release) or only at release. */
export type CheckpointPolicy = 'always' | 'release-only';

/**
 * The checkpoint plumbing of one training job, the same for every family: the checkpoint to resume
 * from, the hook the training calls, and the clean-up once the job ends.
 * - A checkpoint offered because the signal aborted is kept only when the worker is shutting down
 *   (the job goes back to the queue and continues elsewhere); a cancelled job needs none.
 * - `failed(error)` keeps the checkpoints for a run that will go on (a retry, a released job) and
 *   drops them when this was the end: cancelled, bad input, or the last attempt.
 */
export class JobCheckpoints {
  /** Where this attempt started from; undefined when from scratch. */
  readonly resume: FoundCheckpoint | undefined;
  /** The newest checkpoint written or resumed from. */
  newest: { step: number; epoch: number } | undefined;

  private constructor(
    private readonly ctx: ProcessorContext,
    private readonly job: Job,
    private readonly signal: AbortSignal | undefined,
    private readonly store: TrainingCheckpointStore,
    resume: FoundCheckpoint | undefined,
    private readonly policy: CheckpointPolicy,
  ) {
    this.resume = resume;
    this.newest = resume ? { step: resume.step, epoch: resume.epoch } : undefined;
  }

  static async open(ctx: ProcessorContext, job: Job, signal: AbortSignal | undefined, policy: CheckpointPolicy = 'always'): Promise<JobCheckpoints> {
    const store = new TrainingCheckpointStore(ctx.store, job.id!);
    const found = await store.latest();
    if (found && 'problem' in found) ctx.log.warn({ jobId: job.id, problem: found.problem }, 'starting over: the checkpoint cannot be resumed');
    const resume = found && 'io' in found ? found : undefined;
    if (resume) ctx.log.info({ jobId: job.id, step: resume.step, epoch: resume.epoch }, 'resuming from checkpoint');
    return new JobCheckpoints(ctx, job, signal, store, resume, policy);
  }

  /** Step and epoch of the checkpoint this attempt resumed from (null when from scratch). */
  get resumedFrom(): { resumedFromStep: number | null; resumedFromEpoch: number | null } {
    return { resumedFromStep: this.resume?.step ?? null, resumedFromEpoch: this.resume?.epoch ?? null };
  }

  /** What the training calls at its checkpoints; `epochsDone` becomes the checkpoint's epoch. */
  readonly hook: CheckpointHook = async (checkpoint) => {
    const released = this.signal?.aborted === true && this.signal.reason === AbortReason.shutdown;
    if (checkpoint.reason === 'abort' ? !released : this.policy === 'release-only') return;
    const position = { step: checkpoint.step, epoch: checkpoint.epochsDone };
    await this.store.save(position, checkpoint.save);
    this.newest = position;
    if (checkpoint.reason === 'abort') this.ctx.log.info({ jobId: this.job.id, ...position }, 'checkpoint written before the job is released');
  };

  /** After the model is saved: its checkpoints are no longer needed. */
  async completed(): Promise<void> {
    await this.store.remove().catch((error: unknown) => this.ctx.log.warn({ err: error, jobId: this.job.id }, 'could not remove checkpoints'));
  }

  /** After the training threw: removes the checkpoints when the job will not run again. */
  async failed(error: unknown): Promise<void> {
    const released = this.signal?.aborted === true && this.signal.reason === AbortReason.shutdown;
    if (released) this.ctx.log.info({ jobId: this.job.id, checkpoint: this.newest ?? null }, 'training released; the next attempt continues from its newest checkpoint');
    const final = !isRetryable(error) || this.job.attemptsMade + 1 >= (this.job.opts.attempts ?? 1);
    if (!released && final) await this.store.remove().catch(() => undefined);
  }
}
