import { DatasetParseError } from '../errors.ts';
import { decodeUtf8Strict } from '../utf8.ts';
import { countLines, normalizeLineBreaks } from './line-breaks.ts';

/** 16 MiB: ten times the bundled corpora, still a few seconds of tokenising. */
export const DEFAULT_MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** Options of {@link parseTextCorpus}. */
export interface ParseTextCorpusOptions {
  /** Name used in error messages (usually the uploaded file's name). */
  source: string;
  /**
   * Largest accepted input, in bytes as given.
   * @defaultValue {@link DEFAULT_MAX_TEXT_BYTES}
   */
  maxBytes?: number;
}

/** What a text corpus holds; small enough to store in a registry and send over HTTP. */
export interface TextCorpusSummary {
  /** Size of the input as given, before line breaks were normalised. */
  bytes: number;
  /** Unicode code points of the normalised text (an emoji outside the BMP counts once). */
  characters: number;
  /** Distinct code points: the vocabulary size of a character-level model. */
  distinctCharacters: number;
  /** Lines; a final line break does not start another line. */
  lines: number;
}

/** A corpus for character-level models: normalised text and its summary. */
export interface TextCorpus {
  /** UTF-8-decoded text without BOM, line breaks normalised to LF. */
  text: string;
  summary: TextCorpusSummary;
}

/**
 * Reads a plain-text corpus: strict UTF-8 (a leading BOM is dropped), CRLF and lone CR become LF.
 * @throws DatasetParseError naming `source` for an empty, whitespace-only, binary (NUL bytes),
 *   non-UTF-8 or oversized input
 */
export function parseTextCorpus(bytes: Uint8Array, options: ParseTextCorpusOptions): TextCorpus {
  const { source, maxBytes = DEFAULT_MAX_TEXT_BYTES } = options;
  if (bytes.length === 0) throw new DatasetParseError({ file: source, problem: 'the file is empty' });
  if (bytes.length > maxBytes) {
    throw new DatasetParseError({
      file: source,
      problem: `the text is ${bytes.length.toLocaleString('en-US')} bytes; at most ${maxBytes.toLocaleString('en-US')} bytes are accepted`,
    });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DatasetParseError({ file: source, problem: `contains a NUL byte at offset ${nul}: binary data, not text` });
  }
  const text = normalizeLineBreaks(decodeUtf8Strict(bytes, source, 'plain text'));
  if (text.trim() === '') {
    throw new DatasetParseError({ file: source, problem: 'the text holds only whitespace' });
  }
  return { text, summary: summarizeText(text, bytes.length) };
}

/**
 * Summary of an already-normalised text.
 * @param bytes the input's size; its UTF-8 length by default
 */
export function summarizeText(text: string, bytes = new TextEncoder().encode(text).length): TextCorpusSummary {
  const distinct = new Set<string>();
  let characters = 0;
  for (const character of text) {
    distinct.add(character);
    characters++;
  }
  return { bytes, characters, distinctCharacters: distinct.size, lines: countLines(text) };
}
