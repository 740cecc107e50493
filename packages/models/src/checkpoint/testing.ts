import { memoryArtifacts } from '../io.ts';
import type { CheckpointHook, TrainingCheckpoint } from './hook.ts';

/**
 * For tests: a training run that records every checkpoint it is offered (saved in memory, the
 * newest per reason) and is aborted as a worker shutting down would be, `batches` event-loop turns
 * into the epoch after its first epoch end, so between two batches.
 */
export function interruptedRun(batches: number) {
  const saved = new Map<TrainingCheckpoint['reason'], ReturnType<typeof memoryArtifacts>>();
  const hooks: Array<Pick<TrainingCheckpoint, 'reason' | 'step' | 'epochsDone'>> = [];
  const controller = new AbortController();
  let turns = 0;
  const checkpoint: CheckpointHook = async (offered) => {
    hooks.push({ reason: offered.reason, step: offered.step, epochsDone: offered.epochsDone });
    const io = memoryArtifacts();
    await offered.save(io);
    saved.set(offered.reason, io);
  };
  const onEpochEnd = () => {
    const tick = () => (++turns === batches ? controller.abort('shutdown') : setImmediate(tick));
    setImmediate(tick);
  };
  return { saved, hooks, options: { signal: controller.signal, checkpoint, onEpochEnd } };
}
