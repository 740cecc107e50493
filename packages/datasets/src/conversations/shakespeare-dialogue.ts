import type { ConversationPair } from './types.ts';

/** One speech of a play in tiny Shakespeare's layout. */
export interface Speech {
  /** As written on the speaker line, without the colon: `First Citizen`, `KING RICHARD III`. */
  speaker: string;
  /** The speech's lines joined with single spaces; empty where the speaker line stands alone. */
  text: string;
  /** 1-based line of the speaker line. */
  line: number;
  /** Whether a scene or play boundary (two or more blank lines) comes before this speech. */
  afterBreak: boolean;
}

/** A pair of consecutive speeches, with where it comes from. */
export interface DialoguePair extends ConversationPair {
  inputSpeaker: string;
  replySpeaker: string;
  /** 1-based line of the input's speaker line. */
  line: number;
}

/** Options of {@link buildDialoguePairs}. */
export interface BuildDialoguePairsOptions {
  /**
   * Longest input and reply, in words (runs of non-space characters). Short exchanges suit a small
   * seq2seq model and keep the set to real back-and-forth rather than monologues.
   * @defaultValue 30
   */
  maxWords?: number;
}

/**
 * Splits a play text laid out as blocks separated by a blank line, each a speaker line ending in
 * `:` followed by the speech. A block whose first line has no colon (a stray line) is not a
 * speech and counts as a break, like a speaker line with nothing under it.
 * @param text LF line breaks
 */
export function parseSpeeches(text: string): Speech[] {
  const speeches: Speech[] = [];
  const lines = text.split('\n');
  let blank = 2; // the start of the text counts as a boundary
  let current: { speaker: string; body: string[]; line: number; afterBreak: boolean } | undefined;
  const close = () => {
    if (current) speeches.push({ speaker: current.speaker, text: current.body.join(' '), line: current.line, afterBreak: current.afterBreak });
    current = undefined;
  };
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') {
      close();
      blank++;
      return;
    }
    if (current) {
      current.body.push(line);
    } else if (blank > 0 && /^[^\s:][^:]*:$/.test(line)) {
      current = { speaker: line.slice(0, -1).trim(), body: [], line: i + 1, afterBreak: blank > 1 };
    } else if (blank > 0) {
      speeches.push({ speaker: '', text: '', line: i + 1, afterBreak: blank > 1 }); // not a speech: breaks the dialogue
    }
    blank = 0;
  });
  close();
  return speeches;
}

/**
 * (speech → next speech) pairs where the speakers differ, both speeches have text and fit
 * `maxWords`, and no break (two blank lines, an empty or stray block) separates them.
 * Deterministic: the order of the text.
 */
export function buildDialoguePairs(speeches: readonly Speech[], options: BuildDialoguePairsOptions = {}): DialoguePair[] {
  const { maxWords = 30 } = options;
  const fits = (speech: Speech) => speech.text !== '' && countWords(speech.text) <= maxWords;
  const pairs: DialoguePair[] = [];
  for (let i = 1; i < speeches.length; i++) {
    const input = speeches[i - 1]!;
    const reply = speeches[i]!;
    if (reply.afterBreak || input.speaker === '' || reply.speaker === '' || input.speaker === reply.speaker) continue;
    if (!fits(input) || !fits(reply)) continue;
    pairs.push({ input: input.text, reply: reply.text, inputSpeaker: input.speaker, replySpeaker: reply.speaker, line: input.line });
  }
  return pairs;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
