import { ModelError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';

/**
 * What a training's `checkpoint` hook receives, in every family: the run paused between two
 * batches, and how to persist it.
 * - `interval`: every `checkpointEverySteps` steps (text generators);
 * - `epoch`: after an epoch (its metrics included);
 * - `abort`: the signal was aborted (a worker shutting down releases the job): the position reached,
 *   before the training rejects with `TrainingCancelledError`. Not offered when the newest
 *   checkpoint is already at this step.
 */
export interface TrainingCheckpoint {
  reason: 'interval' | 'epoch' | 'abort';
  /** Optimizer steps done. */
  step: number;
  /** Epochs finished. */
  epochsDone: number;
  /** Writes the checkpoint; valid only until the hook returns. */
  save(io: ArtifactIO): Promise<void>;
}

export type CheckpointHook = (checkpoint: TrainingCheckpoint) => void | Promise<void>;

/**
 * Calls `hook` (when given) with a `save` that runs `write` only while the hook runs, and
 * remembers the step offered last, so that an abort right after a checkpoint does not offer the
 * same step again.
 */
export function createCheckpointer(hook: CheckpointHook | undefined, write: (io: ArtifactIO) => Promise<void>) {
  let lastStep: number | undefined;
  return {
    async offer(reason: TrainingCheckpoint['reason'], step: number, epochsDone: number): Promise<void> {
      if (!hook || (reason === 'abort' && lastStep === step)) return;
      let open = true;
      const save = async (io: ArtifactIO) => {
        if (!open) throw new ModelError('a training checkpoint can be saved only while the checkpoint hook runs');
        await write(io);
      };
      try {
        await hook({ reason, step, epochsDone, save });
        lastStep = step;
      } finally {
        open = false;
      }
    },
    /** Marks `step` as checkpointed already (a run resumed from it). */
    resumedAt(step: number): void {
      lastStep = step;
    },
  };
}
