import { DatasetParseError } from './errors.ts';

/** One CSV record with the line it starts on. */
export interface CsvRecord {
  /** 1-based line where the record starts (a quoted field may span lines). */
  line: number;
  /** Field values, unquoted, not trimmed. */
  fields: string[];
}

/** A CSV syntax error, with the field's 0-based index so that a caller can name the column. */
export class CsvSyntaxError extends DatasetParseError {
  readonly fieldIndex: number;

  constructor(file: string, line: number, fieldIndex: number, problem: string) {
    super({ file, line, problem });
    this.name = 'CsvSyntaxError';
    this.fieldIndex = fieldIndex;
  }
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;

/**
 * Reads RFC 4180 records lazily: comma-separated, quoted fields may hold commas, line breaks and
 * doubled quotes (`""`); CRLF, LF and lone CR all end a record. A leading BOM is skipped and a
 * trailing line break does not make an empty record; blank lines come out as `['']`.
 * A quote inside an unquoted field is kept as text (the value check then names it).
 * @throws CsvSyntaxError on an unterminated quote or text after a closing quote
 */
export function* readCsvRecords(text: string, file: string): Generator<CsvRecord> {
  const end = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < end) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        const fieldLine = line;
        let start = i + 1;
        value = '';
        for (;;) {
          const close = text.indexOf('"', start);
          if (close < 0) {
            throw new CsvSyntaxError(file, fieldLine, fields.length, 'unterminated quoted field (a `"` opens here and never closes)');
          }
          value += text.slice(start, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += '"';
            start = close + 2;
            continue;
          }
          i = close + 1;
          break;
        }
        line += countLineBreaks(value);
        const next = text.charCodeAt(i);
        if (i < end && next !== COMMA && next !== CR && next !== LF) {
          throw new CsvSyntaxError(file, line, fields.length, `unexpected text after a closing quote: ${JSON.stringify(text.slice(i, i + 10))}`);
        }
      } else {
        const start = i;
        while (i < end) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === CR || c === LF) break;
          i++;
        }
        value = text.slice(start, i);
      }
      fields.push(value);
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CR) i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      else if (c === LF) i++;
      line++;
      break;
    }
    yield { line: recordLine, fields };
  }
}

/** Line breaks in a quoted value, counting CRLF once. */
function countLineBreaks(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && value.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}
