import type { ObjectiveSpec, TensorShard, WindowShard } from './objectives.ts';

/** What a replica thread starts from (its `workerData`). */
export interface ReplicaSetup {
  /** Module the bootstrap imports: the replica thread's code. */
  entry: string;
  /** `tf.getBackend()` of the parent; the thread initialises the same one. */
  backend: string;
  /** Whether the parent builds the fast recurrent layers (`useFastRecurrent()`). */
  fastRecurrent: boolean;
  /** `model.toJSON()` of the parent's model: the replica is built from it. */
  topology: unknown;
  /** Shapes of the parent's trainable weights, in order: the replica checks its own against them. */
  weightShapes: number[][];
  objective: ObjectiveSpec;
}

/** One step's work for a replica: the current weights (all trainable, concatenated), its shard and seed. */
export interface ShardRequest {
  weights: Float32Array;
  shard: TensorShard | WindowShard;
  seed: number;
}

export type ReplicaMessage =
  | { type: 'ready' }
  | { type: 'gradients'; loss: number; grads: Float32Array }
  | { type: 'error'; message: string; stack?: string };
