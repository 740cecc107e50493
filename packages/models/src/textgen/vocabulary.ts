import { ModelError } from '../errors.ts';

/** Most distinct characters a corpus may have: the network's input and output are one-hot over them. */
export const MAX_CHAR_VOCABULARY_SIZE = 512;

/**
 * Index of a character the vocabulary does not hold (seen in a seed text, never in the corpus).
 * It is fed to the network as an all-zero input vector: the state still advances one step, so
 * the character keeps its place, but it carries no identity the network never learned. It is
 * never generated: the output layer covers the vocabulary only.
 */
export const UNKNOWN_CHAR_INDEX = -1;

/** The distinct characters of a corpus (Unicode code points), sorted by code point. */
export class CharVocabulary {
  readonly #indexOf: Map<string, number>;

  constructor(readonly characters: readonly string[]) {
    this.#indexOf = new Map(characters.map((character, index) => [character, index]));
    if (this.#indexOf.size !== characters.length || characters.some((c) => typeof c !== 'string' || Array.from(c).length !== 1)) {
      throw new ModelError('a vocabulary holds distinct single characters');
    }
  }

  /** Builds the vocabulary of `text`; throws when it has more than `MAX_CHAR_VOCABULARY_SIZE` distinct characters. */
  static fromText(text: string): CharVocabulary {
    const characters = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    if (characters.length > MAX_CHAR_VOCABULARY_SIZE) {
      throw new ModelError(`text has ${characters.length} distinct characters; a character model takes at most ${MAX_CHAR_VOCABULARY_SIZE}`);
    }
    return new CharVocabulary(characters);
  }

  get size(): number {
    return this.characters.length;
  }

  /** Index of each code point of `text`; `UNKNOWN_CHAR_INDEX` for characters outside the vocabulary. */
  encode(text: string): Int32Array {
    return Int32Array.from(text, (character) => this.#indexOf.get(character) ?? UNKNOWN_CHAR_INDEX);
  }

  /** The character at `index`. */
  character(index: number): string {
    const character = this.characters[index];
    if (character === undefined) throw new ModelError(`character index ${index} is outside the vocabulary of ${this.size}`);
    return character;
  }
}
