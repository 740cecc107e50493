import type { ObjectiveSpec, ShardFigures } from './objective.ts';

/** What a replica thread boots with (its `workerData`). */
export interface ReplicaBoot {
  /** Module the bootstrap imports: the replica thread's code. */
  entry: string;
  /** `tf.getBackend()` of the parent; the thread initialises the same one. */
  backend: string;
}

/** Builds a training's replica (replacing the thread's previous one); answered `ready` or `error`. */
export interface LoadRequest {
  type: 'load';
  /** Whether the parent builds the fast recurrent layers (`useFastRecurrent()`). */
  fastRecurrent: boolean;
  /** `model.toJSON()` of the parent's model: the replica is built from it. */
  topology: unknown;
  /** Shapes of the parent's trainable weights, in order: the replica checks its own against them. */
  weightShapes: number[][];
  /** Loaded by module on the thread (`createShardLoss`): the thread imports no model family itself. */
  objective: ObjectiveSpec;
}

/** One step's work: the current weights (all trainable, concatenated), the shard and its seed; answered `gradients` or `error`. */
export interface ShardRequest {
  type: 'shard';
  weights: Float32Array;
  /** A shard of the loaded objective's kind (structured-cloned). */
  shard: unknown;
  seed: number;
}

/** Drops the replica (the thread goes back to idle); not answered. */
export interface UnloadRequest {
  type: 'unload';
}

export type ReplicaRequest = LoadRequest | ShardRequest | UnloadRequest;

export type ReplicaMessage =
  | { type: 'booted' }
  | { type: 'ready' }
  /** `tensors`: the thread's `tf.memory().numTensors` after the step, to show it leaks none. */
  | { type: 'gradients'; loss: number; grads: Float32Array; figures: ShardFigures; tensors: number }
  | { type: 'error'; message: string; stack?: string };
