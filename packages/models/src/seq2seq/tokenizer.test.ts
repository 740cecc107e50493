import { describe, expect, it } from 'vitest';
import { ModelError } from '../errors.ts';
import { detokenize, END_ID, PAD_ID, SPECIAL_TOKENS, START_ID, tokenize, Tokenizer, UNK_ID } from './tokenizer.ts';

const lengths = { maxInputLength: 5, maxReplyLength: 4 };

describe('tokenize', () => {
  it.each([
    ['Hello, World!', ['hello', ',', 'world', '!']],
    ["I DON'T know… maybe?", ['i', "don't", 'know', '…', 'maybe', '?']],
    ['Don’t stop', ["don't", 'stop']],
    ['wait...', ['wait', '.', '.', '.']],
    ["dogs' toys 'cause", ['dogs', "'", 'toys', "'", 'cause']],
    ['well-known x-ray', ['well-known', 'x-ray']],
    ['it is 3.5 at 10:30, 24/7, 3rd', ['it', 'is', '3.5', 'at', '10:30', ',', '24/7', ',', '3rd']],
    ['see https://example.com/a?b=1.', ['see', 'https://example.com/a?b=1', '.']],
    ['lol :) ;-P <3 :D', ['lol', ':)', ';-p', '<3', ':d']],
    ['(so) #tbt @ann $5 "ok"', ['(', 'so', ')', '#', 'tbt', '@', 'ann', '$', '5', '"', 'ok', '"']],
    ['Ça va? ¿Qué tal? Привет 你好', ['ça', 'va', '?', '¿', 'qué', 'tal', '?', 'привет', '你好']],
    ['👍🏽 😂😂 👨‍👩‍👧 🇫🇷', ['👍🏽', '😂', '😂', '👨‍👩‍👧', '🇫🇷']],
    ['<pad> <end>', ['<', 'pad', '>', '<', 'end', '>']],
  ])('%j → %j', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });

  it('drops blanks, control and formatting characters; keeps combining marks with their letter', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \t\n\u0000\u200b ')).toEqual([]);
    expect(tokenize('cafe\u0301')).toEqual(['café']); // NFC: e + combining acute → é
    expect(tokenize('\ud800 lone surrogate')).toEqual(['lone', 'surrogate']);
  });
});

describe('detokenize', () => {
  it.each([
    [['hello', ',', 'world', '!'], 'hello, world!'],
    [['wait', '.', '.', '.'], 'wait...'],
    [['(', 'so', ')', 'and', '#', 'tbt'], '(so) and #tbt'],
    [['he', 'said', '"', 'hi', '"', 'ok'], 'he said "hi" ok'],
    [['lol', '😂', '😂'], 'lol 😂😂'],
    [['it', 'is', '3.5', '%'], 'it is 3.5%'],
    [['and', '/', 'or'], 'and/or'],
    [[], ''],
  ])('%j → %j', (tokens, text) => {
    expect(detokenize(tokens)).toBe(text);
  });

  it('round-trips ordinary chat text', () => {
    for (const text of ['hey! how are you?', 'sure, where?', "i don't know... maybe (later)", 'it was fun :)', 'at 10:30, ok?']) {
      expect(detokenize(tokenize(text))).toBe(text);
    }
  });
});

describe('Tokenizer', () => {
  const texts = ['b a c', 'a b', 'a d', 'e'];

  it('puts the special tokens first, then words by falling count, ties in code-point order', () => {
    const tokenizer = Tokenizer.fit(texts, { maxVocabulary: 20, ...lengths });
    expect(tokenizer.vocabulary).toEqual([...SPECIAL_TOKENS, 'a', 'b', 'c', 'd', 'e']);
    expect([PAD_ID, START_ID, END_ID, UNK_ID].map((id) => tokenizer.tokenOf(id))).toEqual(['<pad>', '<start>', '<end>', '<unk>']);
    expect(Tokenizer.fit([...texts].reverse(), { maxVocabulary: 20, ...lengths }).vocabulary).toEqual(tokenizer.vocabulary);
  });

  it('caps the vocabulary (special tokens included) and maps the rest to <unk>', () => {
    const tokenizer = Tokenizer.fit(texts, { maxVocabulary: 6, ...lengths });
    expect(tokenizer.size).toBe(6);
    expect(tokenizer.vocabulary.slice(4)).toEqual(['a', 'b']);
    expect(tokenizer.encodeInput('a c zebra b')).toEqual([4, UNK_ID, UNK_ID, 5]);
    expect(tokenizer.has('c')).toBe(false);
    expect(tokenizer.idOf('<unk>')).toBe(UNK_ID);
  });

  it('keeps the last tokens of a long message and the first tokens of a long reply', () => {
    const tokenizer = Tokenizer.fit(['one two three four five six seven'], { maxVocabulary: 20, ...lengths });
    const id = (word: string) => tokenizer.idOf(word);
    expect(tokenizer.encodeInput('one two three four five six seven')).toEqual(['three', 'four', 'five', 'six', 'seven'].map(id));
    expect(tokenizer.encodeReply('one two three four five')).toEqual({ ids: ['one', 'two', 'three', 'four'].map(id), complete: false });
    expect(tokenizer.encodeReply('one two three four')).toEqual({ ids: ['one', 'two', 'three', 'four'].map(id), complete: true });
  });

  it('decodes ids to text: stops at <end>, skips <pad> and <start>', () => {
    const tokenizer = Tokenizer.fit(['hi , there !'], { maxVocabulary: 20, ...lengths });
    const ids = tokenizer.encodeReply('hi, there!').ids;
    expect(tokenizer.decode([START_ID, ...ids, END_ID, tokenizer.idOf('hi'), PAD_ID])).toBe('hi, there!');
    expect(tokenizer.decode([tokenizer.idOf('hi'), UNK_ID])).toBe('hi <unk>');
    expect(() => tokenizer.tokenOf(99)).toThrow(new ModelError('token id 99 is outside the vocabulary (size 8)'));
  });

  it('serialises to JSON and back', () => {
    const tokenizer = Tokenizer.fit(texts, { maxVocabulary: 7, ...lengths });
    const restored = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer)));
    expect(restored.toJSON()).toEqual(tokenizer.toJSON());
    expect(restored.encodeInput('a b c d e')).toEqual(tokenizer.encodeInput('a b c d e'));
  });

  it('rejects a malformed tokenizer JSON', () => {
    const json = Tokenizer.fit(texts, { maxVocabulary: 7, ...lengths }).toJSON();
    expect(() => Tokenizer.fromJSON(null)).toThrow(/vocabulary must be an array/);
    expect(() => Tokenizer.fromJSON({ ...json, vocabulary: ['a', ...json.vocabulary] })).toThrow(/must start with <pad>, <start>, <end>, <unk>/);
    expect(() => Tokenizer.fromJSON({ ...json, vocabulary: [...json.vocabulary, 'a'] })).toThrow(/duplicate/);
    expect(() => Tokenizer.fromJSON({ ...json, maxReplyLength: 0 })).toThrow(/maxReplyLength must be a positive integer/);
  });
});
