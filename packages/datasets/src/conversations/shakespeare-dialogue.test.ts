import { describe, expect, it } from 'vitest';
import { builtinPairDatasets, findBuiltinPairDataset } from './builtin-pairs.ts';
import { buildDialoguePairs, parseSpeeches } from './shakespeare-dialogue.ts';

const PLAY = [
  'First Citizen:', //  1
  'Before we proceed any further,', //  2
  'hear me speak.', //  3
  '', //  4
  'All:', //  5
  'Speak, speak.', //  6
  '', //  7
  'All:', //  8  same speaker again: no pair with the previous speech
  'Speak!', //  9
  '', // 10
  'TITUS:', // 11  no speech: breaks the dialogue
  '', // 12
  'COMINIUS:', // 13
  'Noble Marcius!', // 14
  '', // 15
  'MARCIUS:', // 16
  'One two three four five six', // 17  too long for maxWords 5
  '', // 18
  'COMINIUS:', // 19
  'Well: go.', // 20  a colon inside a speech is no speaker line
  'then go:', // 21
  '', // 22
  '', // 23  two blank lines: a new play
  'SAMPSON:', // 24
  'Gregory, o my word.', // 25
  '', // 26
  'GREGORY:', // 27
  'No.', // 28
].join('\n');

describe('tiny Shakespeare dialogue', () => {
  it('splits speeches, marking empty ones and play boundaries', () => {
    expect(parseSpeeches(PLAY)).toEqual([
      { speaker: 'First Citizen', text: 'Before we proceed any further, hear me speak.', line: 1, afterBreak: true },
      { speaker: 'All', text: 'Speak, speak.', line: 5, afterBreak: false },
      { speaker: 'All', text: 'Speak!', line: 8, afterBreak: false },
      { speaker: 'TITUS', text: '', line: 11, afterBreak: false },
      { speaker: 'COMINIUS', text: 'Noble Marcius!', line: 13, afterBreak: false },
      { speaker: 'MARCIUS', text: 'One two three four five six', line: 16, afterBreak: false },
      { speaker: 'COMINIUS', text: 'Well: go. then go:', line: 19, afterBreak: false },
      { speaker: 'SAMPSON', text: 'Gregory, o my word.', line: 24, afterBreak: true },
      { speaker: 'GREGORY', text: 'No.', line: 27, afterBreak: false },
    ]);
  });

  it('pairs consecutive speeches by different speakers within the word limit', () => {
    // at 5 words the first speech (8 words) and MARCIUS (6) are too long; All → All, TITUS and the play break give nothing
    expect(buildDialoguePairs(parseSpeeches(PLAY), { maxWords: 5 })).toEqual([{ input: 'Gregory, o my word.', reply: 'No.', inputSpeaker: 'SAMPSON', replySpeaker: 'GREGORY', line: 24 }]);
    expect(buildDialoguePairs(parseSpeeches(PLAY), { maxWords: 8 }).map((pair) => pair.line)).toEqual([1, 13, 16, 24]);
  });

  it('builtin tinyshakespeare-dialogue: 3,919 real pairs in text order', async () => {
    expect(builtinPairDatasets.map((dataset) => dataset.id)).toEqual(['tinyshakespeare-dialogue']);
    const pairs = await findBuiltinPairDataset('tinyshakespeare-dialogue')!.load();
    expect(pairs).toHaveLength(3919);
    expect(pairs[0]).toEqual({
      input: 'Before we proceed any further, hear me speak.',
      reply: 'Speak, speak.',
      inputSpeaker: 'First Citizen',
      replySpeaker: 'All',
      line: 1,
    });
    expect(pairs.at(-1)).toMatchObject({ input: 'What, art thou waking?', reply: 'Do you not hear me speak?', line: 39_983 });
    expect(pairs.every((pair) => pair.input.split(' ').length <= 30 && pair.reply.split(' ').length <= 30)).toBe(true);
    expect(Object.isFrozen(pairs)).toBe(true);
    expect(findBuiltinPairDataset('tinyshakespeare')).toBeUndefined();
  });
});
