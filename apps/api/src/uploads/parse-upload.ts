import { readFile } from 'node:fs/promises';
import {
  buildConversationPairs,
  decodeUtf8Strict,
  parseConversationPairs,
  parsePriceCsv,
  parseTextCorpus,
  parseWordVectors,
  readMessengerZipFile,
  unigramEntropyBits,
  type ConversationPair,
} from '@mlq/datasets';
import { PAIR_EXAMPLES } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import type { ParsedUpload, UploadTask } from './upload-task.ts';

const examplesOf = (pairs: readonly ConversationPair[]) => pairs.slice(0, PAIR_EXAMPLES).map(({ input, reply }) => ({ input, reply }));
const pairsJson = (pairs: readonly ConversationPair[]) => new TextEncoder().encode(JSON.stringify({ pairs: pairs.map(({ input, reply }) => ({ input, reply })) }));

/**
 * Parses an upload by kind, from its temporary file. Runs in a parse thread (see
 * `parser-pool.ts`), never on the API's event loop. Every parser throws `DatasetParseError`
 * (a 400 naming file, line and problem).
 */
export async function parseUploadFile(task: UploadTask): Promise<ParsedUpload> {
  const { name } = task;
  switch (task.kind) {
    case 'prices': {
      const bytes = await readFile(task.path);
      const seriesName = task.series ?? name.replace(/\.[^.]*$/, '');
      const collection = parsePriceCsv(decodeUtf8Strict(bytes, name), { file: name, seriesName, format: task.format as 'auto' | 'ohlc' | 'long' });
      const summary = collection.summary();
      return {
        kind: 'prices',
        stored: bytes,
        file: 'data.csv',
        description: `Uploaded ${summary.format} CSV`,
        format: summary.format,
        summary,
        ...(summary.format === 'ohlc' ? { seriesName } : {}),
      };
    }
    case 'text': {
      const bytes = await readFile(task.path);
      const corpus = parseTextCorpus(bytes, { source: name, maxBytes: task.maxBytes });
      return {
        kind: 'text',
        stored: bytes,
        file: 'corpus.txt',
        description: 'Uploaded text',
        format: 'text',
        summary: { ...corpus.summary, unigramBitsPerChar: unigramEntropyBits(corpus.text) },
      };
    }
    case 'pairs': {
      const bytes = await readFile(task.path);
      const format = task.format as 'auto' | 'json' | 'csv';
      const pairs = parseConversationPairs(bytes, { source: name, format });
      const detected =
        format === 'auto'
          ? /^\s*[[{]/.test(
              bytes
                .subarray(0, 64)
                .toString('utf8')
                .replace(/^\ufeff/, ''),
            )
            ? 'json'
            : 'csv'
          : format;
      return {
        kind: 'pairs',
        stored: pairsJson(pairs),
        file: 'pairs.json',
        description: `Uploaded conversation pairs (${detected.toUpperCase()})`,
        format: detected,
        summary: { pairs: pairs.length, source: detected, examples: examplesOf(pairs) },
      };
    }
    case 'messenger': {
      const owner = task.owner!;
      const threads = await readMessengerZipFile(task.path, { source: name, maxBytes: task.maxMessengerJsonBytes });
      const maxGapMinutes = task.maxGapMinutes ?? 360;
      const { pairs, summary } = buildConversationPairs(threads, { owner, maxGapMinutes });
      if (pairs.length === 0) {
        throw new HttpError(400, `the export gave no (message → reply) pairs for ${owner} across ${summary.threads.total} threads`, 'body', { summary });
      }
      return {
        kind: 'pairs',
        stored: pairsJson(pairs),
        file: 'pairs.json',
        description: `Messenger export of ${owner}: ${summary.pairs} pairs from ${summary.threads.used} of ${summary.threads.total} threads`,
        format: 'messenger',
        summary: { pairs: pairs.length, source: 'messenger', owner, maxGapMinutes, messenger: summary, examples: examplesOf(pairs) },
      };
    }
    case 'word-vectors': {
      const bytes = await readFile(task.path);
      const vectors = parseWordVectors(bytes, { source: name, format: task.format as 'auto' | 'glove' | 'word2vec' });
      return {
        kind: 'word-vectors',
        stored: bytes,
        file: 'vectors.txt',
        description: `Uploaded ${vectors.format} word vectors`,
        format: vectors.format,
        summary: { format: vectors.format, words: vectors.words.length, dimension: vectors.dimension, duplicatesSkipped: vectors.duplicatesSkipped },
      };
    }
  }
}
