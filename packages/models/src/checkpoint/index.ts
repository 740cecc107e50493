// What every family's training checkpoints share: the hook, the files, the optimizer state.
export { createCheckpointer, type CheckpointHook, type TrainingCheckpoint } from './hook.ts';
export {
  fingerprintNumbers,
  fingerprintText,
  readCheckpointHeader,
  readCheckpointState,
  readOptimizerSlots,
  sameFingerprint,
  writeCheckpointFiles,
  type CheckpointHeader,
  type DataFingerprint,
  type TrainingPosition,
} from './files.ts';
export { readTfjsOptimizer, restoreTfjsOptimizer, type OptimizerSlots } from './tfjs-optimizer.ts';
