import { ModelError } from '../errors.ts';

export const PAD = '<pad>';
export const START = '<start>';
export const END = '<end>';
export const UNK = '<unk>';
/** Ids 0–3 of every vocabulary, in this order. Typed text never yields them: `<` and `>` are tokens of their own. */
export const SPECIAL_TOKENS = [PAD, START, END, UNK] as const;
export const PAD_ID = 0;
export const START_ID = 1;
export const END_ID = 2;
export const UNK_ID = 3;

const wordChar = String.raw`[\p{L}\p{N}\p{M}]`;
const emojiPart = String.raw`\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*`;
const tokenPattern = new RegExp(
  // The numbers alternative can backtrack over a run of digits, but the words alternative then
  // consumes that run whole, so a scan stays linear (1 MB of digits, dots or `http://.…` each
  // tokenize in under 60 ms, doubling with the input).
  // eslint-disable-next-line regexp/no-super-linear-move
  [
    String.raw`https?:\/\/\S*[^\s.,!?;:)\]}'"]`, // a link stays one token (trailing punctuation excluded)
    String.raw`(?<!\S)(?:[:;=][-o^']?[)(\][dpo3\/\\|*@]|<3)(?![\p{L}\p{N}])`, // emoticons, once lower-cased: :) ;-p :d <3
    String.raw`\p{N}+(?:[.,:\/]\p{N}+)+`, // 3.5, 10:30, 1,000, 24/7
    String.raw`${wordChar}+(?:['-]${wordChar}+)*`, // words, with inner apostrophes and hyphens: don't, well-known
    String.raw`${emojiPart}(?:\u200D${emojiPart})*`, // emoji, skin tones and ZWJ sequences: 👍🏽 👨‍👩‍👧
    String.raw`\p{Regional_Indicator}{2}`, // flags: 🇫🇷
    String.raw`[^\s\p{L}\p{N}\p{M}\p{C}]`, // any other visible character on its own: punctuation, symbols
  ].join('|'),
  'gu',
);

/**
 * Splits text into word-level tokens: NFC-normalised and lower-cased; curly apostrophes become
 * `'`; words keep inner apostrophes and hyphens (`don't`, `well-known`); every other punctuation
 * mark or symbol is a token of its own (`...` is three); links, numbers with separators
 * (`3.5`, `10:30`), emoticons (`:)`) and emoji sequences stay whole. Control and formatting
 * characters are dropped.
 */
export function tokenize(text: string): string[] {
  const normalised = text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02BC]/g, "'");
  return normalised.match(tokenPattern) ?? [];
}

const noSpaceBefore = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%', '…', "'", '”', '»', '/']);
const noSpaceAfter = new Set(['(', '[', '{', '¿', '¡', '“', '«', '#', '@', '$', '/']);
const isEmoji = (token: string) => /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator})/u.test(token);

/**
 * Joins tokens into readable text: words separated by spaces, no space before closing
 * punctuation (`hi!`, `wait...`) nor after opening (`(so)`, `#tbt`), `"` alternately opening and
 * closing, consecutive emoji side by side. Case is left lower.
 */
export function detokenize(tokens: readonly string[]): string {
  let text = '';
  let quoteOpen = false;
  let previous: string | undefined;
  for (const token of tokens) {
    let spaced = previous !== undefined && !noSpaceAfter.has(previous) && !noSpaceBefore.has(token);
    if (token === '"') {
      spaced = previous !== undefined && !quoteOpen && !noSpaceAfter.has(previous);
      quoteOpen = !quoteOpen;
    } else if (previous === '"' && quoteOpen) {
      spaced = false;
    } else if (previous !== undefined && isEmoji(previous) && isEmoji(token)) {
      spaced = false;
    }
    text += (spaced ? ' ' : '') + token;
    previous = token;
  }
  return text;
}

/** What `Tokenizer.toJSON` writes: stored in a chat model's metadata.json. */
export interface TokenizerJSON {
  /** Every token by id: the special tokens first, then words by falling frequency. */
  vocabulary: string[];
  maxInputLength: number;
  maxReplyLength: number;
}

export interface FitTokenizerOptions {
  /** Vocabulary size, special tokens included (at least 5). */
  maxVocabulary: number;
  maxInputLength: number;
  maxReplyLength: number;
}

/** A reply as decoder token ids, without `<start>` or `<end>`. */
export interface EncodedReply {
  ids: number[];
  /** False when the reply was cut at `maxReplyLength`: no `<end>` is trained after it. */
  complete: boolean;
}

/** Word-level vocabulary with the special tokens `<pad>` (0), `<start>`, `<end>`, `<unk>`. */
export class Tokenizer {
  readonly vocabulary: readonly string[];
  readonly maxInputLength: number;
  readonly maxReplyLength: number;
  readonly #ids: Map<string, number>;

  private constructor(json: TokenizerJSON) {
    this.vocabulary = Object.freeze([...json.vocabulary]);
    this.maxInputLength = json.maxInputLength;
    this.maxReplyLength = json.maxReplyLength;
    this.#ids = new Map(json.vocabulary.map((token, id) => [token, id]));
  }

  /**
   * Builds the vocabulary from texts: the `maxVocabulary - 4` most frequent tokens; equal counts
   * are ordered by code points, so the same texts always give the same ids.
   */
  static fit(texts: Iterable<string>, options: FitTokenizerOptions): Tokenizer {
    const counts = new Map<string, number>();
    for (const text of texts) for (const token of tokenize(text)) counts.set(token, (counts.get(token) ?? 0) + 1);
    const words = [...counts]
      .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, Math.max(0, options.maxVocabulary - SPECIAL_TOKENS.length))
      .map(([token]) => token);
    return new Tokenizer({ vocabulary: [...SPECIAL_TOKENS, ...words], maxInputLength: options.maxInputLength, maxReplyLength: options.maxReplyLength });
  }

  /** Rebuilds a tokenizer from `toJSON()`'s output; throws `ModelError` on a malformed one. */
  static fromJSON(value: unknown): Tokenizer {
    const json = value as Partial<TokenizerJSON> | null;
    const vocabulary = json?.vocabulary;
    if (!Array.isArray(vocabulary) || !vocabulary.every((token) => typeof token === 'string' && token.length > 0)) {
      throw new ModelError('tokenizer vocabulary must be an array of non-empty strings');
    }
    if (SPECIAL_TOKENS.some((token, id) => vocabulary[id] !== token)) throw new ModelError(`tokenizer vocabulary must start with ${SPECIAL_TOKENS.join(', ')}`);
    if (new Set(vocabulary).size !== vocabulary.length) throw new ModelError('tokenizer vocabulary has duplicate tokens');
    for (const field of ['maxInputLength', 'maxReplyLength'] as const) {
      const length = json?.[field];
      if (!Number.isInteger(length) || length! < 1) throw new ModelError(`tokenizer ${field} must be a positive integer, got ${String(length)}`);
    }
    return new Tokenizer(json as TokenizerJSON);
  }

  /** Number of tokens, special ones included: the embedding's and the output layer's size. */
  get size(): number {
    return this.vocabulary.length;
  }

  /** The token's id, or `<unk>`'s. */
  idOf(token: string): number {
    return this.#ids.get(token) ?? UNK_ID;
  }

  has(token: string): boolean {
    return this.#ids.has(token);
  }

  tokenOf(id: number): string {
    const token = this.vocabulary[id];
    if (token === undefined) throw new ModelError(`token id ${id} is outside the vocabulary (size ${this.size})`);
    return token;
  }

  /** Encoder ids of a message: at most `maxInputLength`, the message's last tokens kept (the end of a message is what a reply answers). */
  encodeInput(text: string): number[] {
    return tokenize(text)
      .slice(-this.maxInputLength)
      .map((token) => this.idOf(token));
  }

  /** Decoder ids of a reply: at most `maxReplyLength`, its first tokens kept. */
  encodeReply(text: string): EncodedReply {
    const tokens = tokenize(text);
    return { ids: tokens.slice(0, this.maxReplyLength).map((token) => this.idOf(token)), complete: tokens.length <= this.maxReplyLength };
  }

  /** Readable text of ids: stops at `<end>`, skips `<pad>` and `<start>`, shows `<unk>` as is. */
  decode(ids: readonly number[]): string {
    const end = ids.indexOf(END_ID);
    const tokens = (end === -1 ? ids : ids.slice(0, end)).filter((id) => id !== PAD_ID && id !== START_ID).map((id) => this.tokenOf(id));
    return detokenize(tokens);
  }

  toJSON(): TokenizerJSON {
    return { vocabulary: [...this.vocabulary], maxInputLength: this.maxInputLength, maxReplyLength: this.maxReplyLength };
  }
}
