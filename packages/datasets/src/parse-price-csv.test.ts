import { describe, expect, it } from 'vitest';
import { DatasetParseError } from './errors.ts';
import { parsePriceCsv } from './parse-price-csv.ts';
import { seededRandom } from './testing/seeded-random.ts';
import type { ParsePriceCsvOptions } from './types.ts';

const OHLC = [
  'Date,Open,High,Low,Close,Volume,Market Cap',
  '"Sep 22, 2017",3628.02,3758.27,3553.53,3630.7,"1,194,830,000","60,152,300,000"',
  '"Sep 21, 2017",3901.47,3916.42,3613.63,3631.04,"1,411,480,000","64,677,600,000"',
  '"Apr 28, 2013",135.3,135.98,132.1,134.21,-,"1,500,520,000"',
].join('\r\n');

const LONG = ['symbol,date,price', 'MSFT,Jan 1 2000,39.81', 'MSFT,Feb 1 2000,36.35', 'AAPL,Feb 1 2000,28.66', 'AAPL,Jan 1 2000,25.94', ''].join('\n');

describe('parsePriceCsv: ohlc', () => {
  it('reads a CoinMarketCap export, oldest first, with quoted thousands and "-" as null', () => {
    const collection = parsePriceCsv(OHLC, { file: 'Bitcoin.csv' });
    expect(collection.format).toBe('ohlc');
    expect(collection.seriesNames()).toEqual(['Bitcoin']);
    expect(collection.rows('Bitcoin')).toEqual([
      { date: '2013-04-28', open: 135.3, high: 135.98, low: 132.1, close: 134.21, volume: null, marketCap: 1_500_520_000 },
      { date: '2017-09-21', open: 3901.47, high: 3916.42, low: 3613.63, close: 3631.04, volume: 1_411_480_000, marketCap: 64_677_600_000 },
      { date: '2017-09-22', open: 3628.02, high: 3758.27, low: 3553.53, close: 3630.7, volume: 1_194_830_000, marketCap: 60_152_300_000 },
    ]);
  });

  it('handles a BOM, LF endings, blank lines and a trailing newline', () => {
    const text = `\uFEFF${OHLC.replaceAll('\r\n', '\n')}\n\n`;
    expect(parsePriceCsv(text, { file: 'b.csv' }).closes('b')).toEqual([134.21, 3631.04, 3630.7]);
  });

  it('names the series after the file, or the seriesName option', () => {
    expect(parsePriceCsv(OHLC, { file: 'uploads/Bitcoin Cash.csv' }).seriesNames()).toEqual(['Bitcoin Cash']);
    expect(parsePriceCsv(OHLC, { file: 'x.csv', seriesName: ' BTC ' }).seriesNames()).toEqual(['BTC']);
  });

  it('needs only Date and Close (or Price, Adj Close), in any case and order, with any other columns', () => {
    const rows = parsePriceCsv('close,notes,DATE\n1.5,hello,2017-01-02\n-2,,2017-01-01\n', { file: 'c.csv' }).rows('c');
    expect(rows).toEqual([
      { date: '2017-01-01', open: null, high: null, low: null, close: -2, volume: null, marketCap: null },
      { date: '2017-01-02', open: null, high: null, low: null, close: 1.5, volume: null, marketCap: null },
    ]);
    expect(parsePriceCsv('Date,Adj Close\n2017-01-01,3\n', { file: 'a.csv' }).closes('a')).toEqual([3]);
    expect(parsePriceCsv('Date,Price\n2017-01-01,4\n', { file: 'p.csv' }).closes('p')).toEqual([4]);
    // Close wins over Adj Close; newer CoinMarketCap headers carry asterisks
    expect(parsePriceCsv('Date,Adj Close,Close**\n2017-01-01,3,5\n', { file: 'a.csv' }).closes('a')).toEqual([5]);
  });

  it('sorts rows in any order', () => {
    const text = 'Date,Close\n2017-01-02,2\n2017-01-03,3\n2017-01-01,1\n';
    expect(parsePriceCsv(text, { file: 's.csv' }).dates('s')).toEqual(['2017-01-01', '2017-01-02', '2017-01-03']);
  });

  it('ignores a series column when told the format is ohlc', () => {
    const text = 'symbol,date,price\nMSFT,Jan 1 2000,39.81\nMSFT,Feb 1 2000,36.35\n';
    const collection = parsePriceCsv(text, { file: 'msft.csv', format: 'ohlc', seriesName: 'Microsoft' });
    expect(collection.format).toBe('ohlc');
    expect(collection.seriesNames()).toEqual(['Microsoft']);
    expect(collection.closes('Microsoft')).toEqual([39.81, 36.35]);
  });
});

describe('parsePriceCsv: long', () => {
  it('detects a series column and splits the series', () => {
    const collection = parsePriceCsv(LONG, { file: 'stocks.csv' });
    expect(collection.format).toBe('long');
    expect(collection.seriesNames()).toEqual(['AAPL', 'MSFT']);
    expect(collection.dates('AAPL')).toEqual(['2000-01-01', '2000-02-01']);
    expect(collection.closes('AAPL')).toEqual([25.94, 28.66]);
    expect(collection.rows('MSFT')[0]).toEqual({
      date: '2000-01-01',
      open: null,
      high: null,
      low: null,
      close: 39.81,
      volume: null,
      marketCap: null,
    });
  });

  it.each(['symbol', 'Name', 'SERIES', 'ticker', 'coin'])('accepts %j as the series column', (column) => {
    const text = `${column},Date,Value\nA,2017-01-01,1\nB,2017-01-01,2\n`;
    expect(parsePriceCsv(text, { file: 'l.csv' }).seriesNames()).toEqual(['A', 'B']);
  });

  it('ignores other columns, even unparseable ones', () => {
    const text = 'date,ticker,close,volume\n2017-01-01,A,1,lots\n';
    expect(parsePriceCsv(text, { file: 'l.csv' }).rows('A')[0]!.volume).toBeNull();
  });

  it('summarises', () => {
    expect(parsePriceCsv(LONG, { file: 'stocks.csv' }).summary()).toEqual({
      format: 'long',
      seriesCount: 2,
      rowCount: 4,
      series: [
        { name: 'AAPL', rows: 2, from: '2000-01-01', to: '2000-02-01' },
        { name: 'MSFT', rows: 2, from: '2000-01-01', to: '2000-02-01' },
      ],
    });
  });
});

describe('parsePriceCsv: errors', () => {
  const stocks = (rows: string[]) => ['symbol,date,price', ...rows].join('\n');

  it.each<[string, string, Partial<ParsePriceCsvOptions>, { line?: number; column?: string; message: string }]>([
    ['an empty file', '', {}, { message: 'bad.csv: the file is empty' }],
    ['a blank file', '\uFEFF \r\n\n', {}, { message: 'bad.csv: the file is empty' }],
    ['a header alone', 'Date,Close\r\n', {}, { message: 'bad.csv: the file has a header but no data rows' }],
    [
      'no close column',
      'Date,Open\n2017-01-01,1\n',
      {},
      { line: 1, message: 'bad.csv line 1: missing required column for ohlc format: close (one of "close", "price", "adj close"); found "Date", "Open"' },
    ],
    [
      'no date nor close column',
      'when,what\n1,2\n',
      {},
      {
        line: 1,
        message: 'bad.csv line 1: missing required columns for ohlc format: date (one of "date"); close (one of "close", "price", "adj close"); found "when", "what"',
      },
    ],
    [
      'no series column in a file said to be long',
      'Date,Close\n2017-01-01,1\n',
      { format: 'long' },
      {
        line: 1,
        message: 'bad.csv line 1: missing required column for long format: series (one of "symbol", "name", "series", "ticker", "coin"); found "Date", "Close"',
      },
    ],
    [
      'a column given twice',
      'Date,Close,close\n2017-01-01,1,2\n',
      {},
      { line: 1, column: 'Close', message: 'bad.csv line 1, column "Close": the column appears more than once in the header' },
    ],
    [
      'an unparseable date',
      stocks(['MSFT,Jan 1 2000,39.81', 'MSFT,01/02/2000,36.35']),
      {},
      { line: 3, column: 'date', message: 'bad.csv line 3, column "date": "01/02/2000" is not a date (expected YYYY-MM-DD or like "Sep 22, 2017")' },
    ],
    ['an impossible date', stocks(['MSFT,Feb 30 2000,39.81']), {}, { line: 2, column: 'date', message: 'bad.csv line 2, column "date": "Feb 30 2000" is not a valid calendar date' }],
    ['a word for a price', stocks(['MSFT,Jan 1 2000,39.81', 'MSFT,Feb 1 2000,abc']), {}, { line: 3, column: 'price', message: 'bad.csv line 3, column "price": "abc" is not a number' }],
    ['1.2.3', stocks(['MSFT,Jan 1 2000,1.2.3']), {}, { line: 2, column: 'price', message: 'bad.csv line 2, column "price": "1.2.3" is not a number' }],
    ['NaN', stocks(['MSFT,Jan 1 2000,NaN']), {}, { line: 2, column: 'price', message: 'bad.csv line 2, column "price": "NaN" is not a number' }],
    ['Infinity', stocks(['MSFT,Jan 1 2000,Infinity']), {}, { line: 2, column: 'price', message: 'bad.csv line 2, column "price": "Infinity" is not a number' }],
    ['1e400', stocks(['MSFT,Jan 1 2000,1e400']), {}, { line: 2, column: 'price', message: 'bad.csv line 2, column "price": "1e400" is out of range' }],
    ['a bad optional number', 'Date,Close,Volume\n"Sep 22, 2017",1,"1,2"\n', {}, { line: 2, column: 'Volume', message: 'bad.csv line 2, column "Volume": "1,2" is not a number' }],
    [
      'a missing close ("-")',
      'Date,Open,Close\n"Sep 22, 2017",1,2\n"Sep 21, 2017",1,-\n',
      {},
      { line: 3, column: 'Close', message: 'bad.csv line 3, column "Close": missing close value ("-"); every row needs one' },
    ],
    ['an empty close', stocks(['MSFT,Jan 1 2000,']), {}, { line: 2, column: 'price', message: 'bad.csv line 2, column "price": missing close value (empty); every row needs one' }],
    ['too few fields', stocks(['MSFT,Jan 1 2000,39.81', 'MSFT,Feb 1 2000']), {}, { line: 3, message: 'bad.csv line 3: expected 3 fields like the header, found 2' }],
    ['too many fields (an unquoted "Sep 22, 2017")', 'Date,Close\nSep 22, 2017,3\n', {}, { line: 2, message: 'bad.csv line 2: expected 2 fields like the header, found 3' }],
    [
      'a duplicate date',
      stocks(['MSFT,Jan 1 2000,39.81', 'AAPL,Jan 1 2000,25.94', 'MSFT,2000-01-01,36.35']),
      {},
      { line: 4, column: 'date', message: 'bad.csv line 4, column "date": duplicate date 2000-01-01 in series "MSFT" (lines 2 and 4)' },
    ],
    [
      'an empty series name',
      stocks(['MSFT,Jan 1 2000,39.81', ' ,Feb 1 2000,36.35']),
      {},
      { line: 3, column: 'symbol', message: 'bad.csv line 3, column "symbol": the series name is empty' },
    ],
    [
      'an unterminated quote',
      'Date,Close\n2017-01-01,1\n2017-01-02,"2\n2017-01-03,3\n',
      {},
      { line: 3, column: 'Close', message: 'bad.csv line 3, column "Close": unterminated quoted field (a `"` opens here and never closes)' },
    ],
    ['an unterminated quote in the header', '"Date,Close\n2017-01-01,1\n', {}, { line: 1, message: 'bad.csv line 1: unterminated quoted field (a `"` opens here and never closes)' }],
    ['NUL bytes', 'Date,Close\n2017-01-01,1\u0000\n', {}, { line: 2, message: 'bad.csv line 2: contains NUL bytes: binary data, not CSV text' }],
  ])('reports %s', (_case, text, options, expected) => {
    const error = parseError(text, options);
    expect(error.message).toBe(expected.message);
    expect(error.file).toBe('bad.csv');
    expect(error.line).toBe(expected.line);
    expect(error.column).toBe(expected.column);
    expect(expected.message.endsWith(error.problem)).toBe(true);
  });

  it('reports line numbers of the file, counting line breaks inside quotes', () => {
    const text = 'Date,Note,Close\n2017-01-01,"two\nlines",1\n2017-01-02,x,oops\n';
    expect(parseError(text).message).toBe('bad.csv line 4, column "Close": "oops" is not a number');
  });

  it('allows zero and negative closes', () => {
    expect(parsePriceCsv('Date,Close\n2017-01-01,0\n2017-01-02,-3.5\n', { file: 'z.csv' }).closes('z')).toEqual([0, -3.5]);
  });

  it('turns random text into a parse error or finite numbers, never a crash or NaN', () => {
    const random = seededRandom(42);
    const pieces = ['Date', 'Close', 'symbol', ',', ',', '"', '""', '\n', '\r\n', '-', '1', '2.5', '1,000', 'Sep 22, 2017', '2017-01-0', 'x', ' ', '\uFEFF', 'é', '\u0000'];
    for (let attempt = 0; attempt < 2000; attempt++) {
      const length = Math.floor(random() * 40);
      let text = attempt % 2 ? 'Date,Close\n' : '';
      for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
      try {
        const collection = parsePriceCsv(text, { file: 'fuzz.csv' });
        for (const name of collection.seriesNames()) {
          for (const row of collection.rows(name)) {
            expect(Number.isFinite(row.close)).toBe(true);
            expect(row.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          }
        }
      } catch (error) {
        if (!(error instanceof DatasetParseError)) throw new Error(`crash on ${JSON.stringify(text)}: ${String(error)}`);
      }
    }
  });
});

function parseError(text: string, options: Partial<ParsePriceCsvOptions> = {}): DatasetParseError {
  try {
    parsePriceCsv(text, { file: 'bad.csv', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}
