// The text network's training objective for data-parallel steps: replica threads load it by
// module (see `ObjectiveSpec`), so parallel/ never imports this family.
import type { ObjectiveSpec, ShardObjective } from '../parallel/objective.ts';
import type { TextGenParams } from './config.ts';
import { createWindowBatch } from './data.ts';
import { crossEntropyNats } from './metrics.ts';
import { readNetworkWeights } from './network.ts';
import { forwardWindows } from './recurrent.ts';

/** What the text objective needs besides the network. */
export interface TextObjectiveOptions {
  /** The training corpus' character indices; a SharedArrayBuffer-backed array reaches threads without a copy. */
  codes: Int32Array;
  cell: TextGenParams['cell'];
  vocabularySize: number;
  seqLength: number;
  dropout: number;
}

/** Start positions of the windows in the corpus. */
export interface WindowShard {
  starts: number[];
}

/** The text network's mean cross-entropy per character on the shard's windows of `codes`; a shard weighs its windows. */
export const createTextCrossEntropyLoss: ShardObjective<TextObjectiveOptions, WindowShard> = (model, options) => {
  const weights = readNetworkWeights(model, options.cell, options.vocabularySize);
  return ({ starts }, seed) => {
    const batch = createWindowBatch(options.codes, starts, options.seqLength);
    const dropout = options.dropout > 0 ? { rate: options.dropout, seed } : undefined;
    return { loss: crossEntropyNats(forwardWindows(weights, batch.inputs, dropout), batch.targets), figures: () => ({ weight: starts.length, extras: [] }) };
  };
};

/** The spec of `createTextCrossEntropyLoss`: shards are `WindowShard`s (see `splitWindows`). */
export function textCrossEntropyObjective(options: TextObjectiveOptions): ObjectiveSpec<WindowShard> {
  return { module: import.meta.url, export: 'createTextCrossEntropyLoss', options };
}

/** Splits window starts into `parts` near-equal `WindowShard`s (fewer when windows are fewer). */
export function splitWindows(starts: readonly number[], parts: number): WindowShard[] {
  const count = Math.max(1, Math.min(parts, starts.length));
  return Array.from({ length: count }, (_, i) => ({ starts: starts.slice(Math.round((i * starts.length) / count), Math.round(((i + 1) * starts.length) / count)) }));
}
