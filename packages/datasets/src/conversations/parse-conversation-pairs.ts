import { readCsvRecords } from '../csv.ts';
import { describeValue } from '../describe-value.ts';
import { DatasetParseError } from '../errors.ts';
import { normalizeLineBreaks } from '../text/line-breaks.ts';
import { decodeUtf8Strict } from '../utf8.ts';
import type { ConversationPair } from './types.ts';

/** Options of {@link parseConversationPairs}. */
export interface ParseConversationPairsOptions {
  /** Name used in error messages (usually the uploaded file's name). */
  source: string;
  /**
   * `auto` reads JSON when the text starts with `[` or `{` (after whitespace), else CSV.
   * @defaultValue 'auto'
   */
  format?: 'auto' | 'json' | 'csv';
  /**
   * Most pairs accepted.
   * @defaultValue 100_000
   */
  maxPairs?: number;
  /**
   * Longest input or reply, in characters (code points).
   * @defaultValue 10_000
   */
  maxCharacters?: number;
}

/**
 * Reads (input → reply) pairs given directly, as JSON — `[{"input": "…", "reply": "…"}]` or
 * `{"pairs": [...]}`, other keys ignored — or as CSV whose header has `input` and `reply` columns
 * (any order, any case, other columns ignored; RFC 4180 quoting, so values may hold commas and
 * line breaks). Values are trimmed and their line breaks normalised to LF. Blank CSV lines are skipped.
 * @throws DatasetParseError naming the CSV line and column, or the JSON index and key, of an
 *   empty, non-string or too long value; an empty file, no pairs, or more than `maxPairs`
 */
export function parseConversationPairs(input: Uint8Array | string, options: ParseConversationPairsOptions): ConversationPair[] {
  const { source, format = 'auto' } = options;
  const text = typeof input === 'string' ? input : decodeUtf8Strict(input, source, 'JSON or CSV text');
  const start = text.replace(/^\ufeff/, '').trimStart();
  if (start === '') throw new DatasetParseError({ file: source, problem: 'the file is empty' });
  const json = format === 'json' || (format === 'auto' && (start.startsWith('[') || start.startsWith('{')));
  const pairs = json ? parseJsonPairs(text, options) : parseCsvPairs(text, options);
  if (pairs.length === 0) throw new DatasetParseError({ file: source, problem: 'holds no pairs' });
  return pairs;
}

function parseJsonPairs(text: string, options: ParseConversationPairsOptions): ConversationPair[] {
  const { source } = options;
  const fail = (problem: string): never => {
    throw new DatasetParseError({ file: source, problem });
  };
  let root: unknown;
  try {
    root = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  const wrapped = typeof root === 'object' && root !== null && !Array.isArray(root) && 'pairs' in root;
  const items = wrapped ? (root as { pairs: unknown }).pairs : root;
  const prefix = wrapped ? 'pairs' : '';
  if (!Array.isArray(items)) {
    return fail(`expected an array of {"input": …, "reply": …} objects, or {"pairs": [...]}; found ${wrapped ? '"pairs" holding ' : ''}${describeValue(items)}`);
  }
  assertPairCount(items.length, options);
  return items.map((item: unknown, i: number) => {
    const where = `${prefix}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`${where} must be an object with "input" and "reply", found ${describeValue(item)}`);
    const record = item as Record<string, unknown>;
    const value = (key: 'input' | 'reply'): string => {
      const raw = record[key];
      if (typeof raw !== 'string') return fail(`${where}.${key} must be a string, found ${describeValue(raw)}`);
      const problem = checkValue(raw, options);
      return typeof problem === 'string' ? fail(`${where}.${key} ${problem}`) : problem.value;
    };
    return { input: value('input'), reply: value('reply') };
  });
}

function parseCsvPairs(text: string, options: ParseConversationPairsOptions): ConversationPair[] {
  const { source: file } = options;
  const pairs: ConversationPair[] = [];
  let header: string[] | undefined;
  let inputIndex = -1;
  let replyIndex = -1;
  for (const { line, fields } of readCsvRecords(text, file)) {
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    if (!header) {
      header = fields;
      const names = fields.map((name) => name.trim().toLowerCase());
      inputIndex = names.indexOf('input');
      replyIndex = names.indexOf('reply');
      const missing = [inputIndex < 0 ? '"input"' : '', replyIndex < 0 ? '"reply"' : ''].filter(Boolean);
      if (missing.length) {
        const found = fields.map((name) => JSON.stringify(name)).join(', ');
        throw new DatasetParseError({ file, line, problem: `missing column ${missing.join(' and ')}: the header needs "input" and "reply" columns; found ${found}` });
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw new DatasetParseError({ file, line, problem: `expected ${header.length} fields like the header, found ${fields.length}` });
    }
    assertPairCount(pairs.length + 1, options);
    const value = (index: number): string => {
      const checked = checkValue(fields[index]!, options);
      if (typeof checked === 'string') throw new DatasetParseError({ file, line, column: header![index]!.trim(), problem: `value ${checked}` });
      return checked.value;
    };
    pairs.push({ input: value(inputIndex), reply: value(replyIndex) });
  }
  if (!header) throw new DatasetParseError({ file, problem: 'the file is empty' });
  return pairs;
}

/** The cleaned value, or what is wrong with it (to follow the value's name). */
function checkValue(raw: string, { maxCharacters = 10_000 }: ParseConversationPairsOptions): { value: string } | string {
  const value = normalizeLineBreaks(raw).trim();
  if (value === '') return raw === '' ? 'is empty' : 'holds only whitespace';
  let characters = 0;
  for (const _ of value) characters++;
  if (characters > maxCharacters) {
    return `is ${characters.toLocaleString('en-US')} characters long; at most ${maxCharacters.toLocaleString('en-US')} are accepted`;
  }
  return { value };
}

function assertPairCount(count: number, { source, maxPairs = 100_000 }: ParseConversationPairsOptions): void {
  if (count > maxPairs) {
    throw new DatasetParseError({ file: source, problem: `holds too many pairs: the limit is ${maxPairs.toLocaleString('en-US')}` });
  }
}
