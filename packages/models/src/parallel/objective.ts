import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * What a training minimises, in a form a replica thread can be sent (structured-clonable). It
 * names the module that builds the loss instead of holding the loss, so this folder never imports
 * a model family: each family's `objective.ts` exports a `ShardObjective` and a function that
 * makes its spec, `module` taken from its own `import.meta.url`. Every thread, the caller's
 * included, builds the same loss from the same spec (`createShardLoss`), and only from a module of
 * this package's `src/`.
 */
export interface ObjectiveSpec<Shard = unknown> {
  /** `file:` URL of the module that exports the objective (a file under this package's `src/`). */
  module: string;
  /** Name of that module's export: a `ShardObjective`. */
  export: string;
  /**
   * What the objective needs besides the model, structured-clonable (a SharedArrayBuffer-backed
   * array reaches threads without a copy).
   */
  options?: unknown;
  /** Never set: ties the spec, for the type checker only, to the shards its loss takes. */
  readonly shard?: Shard;
}

/** What a shard's step gives besides its gradients. */
export interface ShardFigures {
  /** The shard's share of the batch's mean loss: its rows, or its trained tokens. */
  weight: number;
  /** Counts summed over the shards (per objective; none for most). */
  extras: number[];
}

/**
 * The loss of one shard in training mode (`seed` seeds what is random in it, e.g. dropout), to be
 * differentiated, and its figures, read once the gradient is taken. Shards are structured-clonable
 * (they are posted to replica threads).
 */
export type ShardLoss<Shard> = (shard: Shard, seed: number) => { loss: tf.Scalar; figures: () => ShardFigures };

/** What an objective module exports: builds the shard loss over `model`'s weights from a spec's `options`. */
export type ShardObjective<Options, Shard> = (model: tfl.LayersModel, options: Options) => ShardLoss<Shard>;
