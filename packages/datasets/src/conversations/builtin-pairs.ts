import { cached } from '../cached.ts';
import { loadTinyShakespeareText } from '../text/builtin-text.ts';
import { buildDialoguePairs, parseSpeeches } from './shakespeare-dialogue.ts';
import type { ConversationPair } from './types.ts';

/** A set of conversation pairs that ships with the project, under a stable id. */
export interface BuiltinPairDataset {
  /** Stable id used in job payloads, e.g. `tinyshakespeare-dialogue`. */
  id: string;
  kind: 'pairs';
  title: string;
  description: string;
  /** Where the pairs come from. */
  source: string;
  license: string;
  /** Builds the pairs (frozen, in text order); cached per process. */
  load(): Promise<readonly ConversationPair[]>;
}

/** Words per side in `tinyshakespeare-dialogue`. */
export const SHAKESPEARE_DIALOGUE_MAX_WORDS = 30;

/** Pair datasets that ship with the project: `tinyshakespeare-dialogue`. */
export const builtinPairDatasets: readonly BuiltinPairDataset[] = Object.freeze([
  {
    id: 'tinyshakespeare-dialogue',
    kind: 'pairs',
    title: 'Tiny Shakespeare dialogue',
    description:
      `3,919 (speech → next speech by another speaker) pairs from tiny Shakespeare, both sides at most ${SHAKESPEARE_DIALOGUE_MAX_WORDS} words, ` +
      'verse lines joined with spaces; never across a play boundary or a speaker line without speech.',
    source: "char-rnn's data/tinyshakespeare/input.txt, bundled in data/tinyshakespeare/ (see its SOURCE.md)",
    license: 'Public domain (the plays)',
    load: cached(async () => Object.freeze(buildDialoguePairs(parseSpeeches(await loadTinyShakespeareText()), { maxWords: SHAKESPEARE_DIALOGUE_MAX_WORDS }))),
  },
]);

/** The builtin pair dataset with this id, if any. */
export function findBuiltinPairDataset(id: string): BuiltinPairDataset | undefined {
  return builtinPairDatasets.find((dataset) => dataset.id === id);
}
