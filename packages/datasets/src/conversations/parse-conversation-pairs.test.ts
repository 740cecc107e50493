import { describe, expect, it } from 'vitest';
import { DatasetParseError } from '../errors.ts';
import { parseConversationPairs, type ParseConversationPairsOptions } from './parse-conversation-pairs.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function parseError(text: string | Uint8Array, options: Partial<ParseConversationPairsOptions> = {}): DatasetParseError {
  try {
    parseConversationPairs(text, { source: 'pairs.up', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}

describe('parseConversationPairs: JSON', () => {
  it('reads an array or {pairs}, trimming values and ignoring other keys', () => {
    const expected = [
      { input: 'Hi there', reply: 'Hello!' },
      { input: 'How are you?', reply: 'Fine,\nthanks 😀' },
    ];
    const array = '[{"input": " Hi there ", "reply": "Hello!", "id": 7}, {"input": "How are you?", "reply": "Fine,\\r\\nthanks 😀"}]';
    expect(parseConversationPairs(encode(array), { source: 'p.json' })).toEqual(expected);
    expect(parseConversationPairs(`\ufeff  {"pairs": ${array}, "version": 1}`, { source: 'p.json' })).toEqual(expected);
  });

  it('names the index and key of a bad item', () => {
    expect(parseError('[{"input": "a", "reply": "b"}, {"input": "c", "reply": ""}]').message).toBe('pairs.up: [1].reply is empty');
    expect(parseError('{"pairs": [{"input": "  ", "reply": "b"}]}').message).toBe('pairs.up: pairs[0].input holds only whitespace');
    expect(parseError('[{"input": "a"}]').message).toBe('pairs.up: [0].reply must be a string, found nothing');
    expect(parseError('[{"input": 3, "reply": "b"}]').message).toBe('pairs.up: [0].input must be a string, found number 3');
    expect(parseError('[["a", "b"]]').message).toBe('pairs.up: [0] must be an object with "input" and "reply", found an array');
    expect(parseError('[{"input": "abcdef", "reply": "b"}]', { maxCharacters: 5 }).message).toBe('pairs.up: [0].input is 6 characters long; at most 5 are accepted');
  });

  it('refuses invalid JSON, other shapes, no pairs and too many', () => {
    expect(parseError('[{"input": "a",').message).toMatch(/^pairs\.up: not valid JSON \(.+\)$/);
    expect(parseError('{"data": []}', { format: 'json' }).message).toBe('pairs.up: expected an array of {"input": …, "reply": …} objects, or {"pairs": [...]}; found an object');
    expect(parseError('{"pairs": "none"}').message).toBe('pairs.up: expected an array of {"input": …, "reply": …} objects, or {"pairs": [...]}; found "pairs" holding string "none"');
    expect(parseError('[]').message).toBe('pairs.up: holds no pairs');
    expect(parseError(' \n ').message).toBe('pairs.up: the file is empty');
    expect(parseError('[{"input": "a", "reply": "b"}, {"input": "a", "reply": "b"}]', { maxPairs: 1 }).message).toBe('pairs.up: holds too many pairs: the limit is 1');
  });
});

describe('parseConversationPairs: CSV', () => {
  it('reads input and reply columns in any order, with quoted commas and line breaks', () => {
    const csv = 'id,Reply,INPUT\r\n1,"Hello, you!",Hi\r\n\r\n2,"Two\r\nlines","Say ""two"""\r\n';
    expect(parseConversationPairs(encode(csv), { source: 'p.csv' })).toEqual([
      { input: 'Hi', reply: 'Hello, you!' },
      { input: 'Say "two"', reply: 'Two\nlines' },
    ]);
  });

  it('names the line and column of a bad row', () => {
    expect(parseError('input,reply\na,b\nc,\n').message).toBe('pairs.up line 3, column "reply": value is empty');
    expect(parseError('input,reply\n"a\nb",c\n  ,d\n').message).toBe('pairs.up line 4, column "input": value holds only whitespace');
    expect(parseError('input,reply\na,b,c\n').message).toBe('pairs.up line 2: expected 2 fields like the header, found 3');
    expect(parseError('input,reply\n"a,b\n').message).toBe('pairs.up line 2: unterminated quoted field (a `"` opens here and never closes)');
    expect(parseError('input,reply\nabcdef,b\n', { maxCharacters: 5 }).message).toBe('pairs.up line 2, column "input": value is 6 characters long; at most 5 are accepted');
  });

  it('refuses a header without the columns, no rows, too many rows and non-UTF-8', () => {
    expect(parseError('question,answer\na,b\n').message).toBe(
      'pairs.up line 1: missing column "input" and "reply": the header needs "input" and "reply" columns; found "question", "answer"',
    );
    expect(parseError('input,reply\n').message).toBe('pairs.up: holds no pairs');
    expect(parseError('input,reply\na,b\nc,d\n', { maxPairs: 1 }).message).toBe('pairs.up: holds too many pairs: the limit is 1');
    expect(parseError(Uint8Array.from([0x69, 0x6e, 0xff])).message).toBe('pairs.up line 1: not UTF-8 text (byte 0xff at offset 2); upload JSON or CSV text saved as UTF-8');
  });
});
