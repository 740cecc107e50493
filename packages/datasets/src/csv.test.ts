import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readCsvRecords } from './csv.ts';
import { DatasetParseError } from './errors.ts';

const read = (text: string) => [...readCsvRecords(text, 'f.csv')];

describe('readCsvRecords', () => {
  it('splits fields and records, numbering lines from 1', () => {
    expect(read('a,b\n1,2\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
  });

  it('unquotes fields holding commas, doubled quotes and line breaks', () => {
    const records = read('"Sep 22, 2017","say ""hi""","two\nlines",x\nnext,1,2,3');
    expect(records).toEqual([
      { line: 1, fields: ['Sep 22, 2017', 'say "hi"', 'two\nlines', 'x'] },
      { line: 3, fields: ['next', '1', '2', '3'] },
    ]);
  });

  it('accepts CRLF, LF and lone CR line ends, a BOM, and no trailing newline', () => {
    expect(read('\uFEFFa,b\r\n1,2\r3,4\n5,6')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, fields: ['3', '4'] },
      { line: 4, fields: ['5', '6'] },
    ]);
  });

  it('keeps empty fields and reports blank lines as one empty field', () => {
    expect(read('a,,\n\n,"",b\n')).toEqual([
      { line: 1, fields: ['a', '', ''] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['', '', 'b'] },
    ]);
  });

  it('counts CRLF inside a quoted field as one line', () => {
    expect(read('"a\r\nb",c\r\nd,e').map((r) => r.line)).toEqual([1, 3]);
  });

  it('reports an unterminated quote on the line it opens, with the field index', () => {
    const error = catchError(() => read('a,b\n1,"2\n3,4\n'));
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ line: 2, fieldIndex: 1 });
    expect(error.message).toBe('f.csv line 2: unterminated quoted field (a `"` opens here and never closes)');
  });

  it('refuses text after a closing quote', () => {
    const error = catchError(() => read('a,b\n"1"x,2\n'));
    expect(error.message).toBe('f.csv line 2: unexpected text after a closing quote: "x,2\\n"');
  });

  it('is an empty list for an empty text', () => {
    expect(read('')).toEqual([]);
    expect(read('\uFEFF')).toEqual([]);
  });
});

function catchError(run: () => unknown): CsvSyntaxError {
  try {
    run();
  } catch (error) {
    return error as CsvSyntaxError;
  }
  throw new Error('expected an error');
}
