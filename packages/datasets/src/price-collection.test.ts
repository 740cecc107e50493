import { describe, expect, it } from 'vitest';
import { assertMinimumLength, DatasetParseError, DatasetTooShortError, DuplicateSeriesError, UnknownSeriesError } from './errors.ts';
import { PriceCollection } from './price-collection.ts';
import type { PriceRow } from './types.ts';

const row = (date: string, close: number): PriceRow => ({ date, open: null, high: null, low: null, close, volume: null, marketCap: null });

const collection = () =>
  new PriceCollection(
    'long',
    new Map([
      ['b', [row('2017-01-02', 2), row('2017-01-01', 1)]],
      ['a', [row('2016-05-01', 5)]],
    ]),
  );

describe('PriceCollection', () => {
  it('lists sorted names and sorts each series by date', () => {
    const prices = collection();
    expect(prices.seriesNames()).toEqual(['a', 'b']);
    expect(prices.has('b')).toBe(true);
    expect(prices.has('c')).toBe(false);
    expect(prices.dates('b')).toEqual(['2017-01-01', '2017-01-02']);
    expect(prices.closes('b')).toEqual([1, 2]);
    expect(prices.rows('a')).toEqual([row('2016-05-01', 5)]);
  });

  it('summarises', () => {
    expect(collection().summary()).toEqual({
      format: 'long',
      seriesCount: 2,
      rowCount: 3,
      series: [
        { name: 'a', rows: 1, from: '2016-05-01', to: '2016-05-01' },
        { name: 'b', rows: 2, from: '2017-01-01', to: '2017-01-02' },
      ],
    });
  });

  it('hands out copies, so that a shared collection cannot be changed', () => {
    const source = [row('2017-01-01', 1)];
    const prices = new PriceCollection('ohlc', new Map([['x', source]]));
    source[0]!.close = 99;
    prices.rows('x')[0]!.close = 42;
    prices.closes('x').push(7);
    expect(prices.rows('x')).toEqual([row('2017-01-01', 1)]);
  });

  it('throws UnknownSeriesError naming the series and the known ones', () => {
    const prices = collection();
    for (const read of [() => prices.rows('zz'), () => prices.closes('zz'), () => prices.dates('zz')]) {
      expect(read).toThrow(UnknownSeriesError);
    }
    try {
      prices.closes('zz');
    } catch (error) {
      expect(error).toMatchObject({ series: 'zz', message: 'unknown series "zz"; known: "a", "b"' });
    }
  });

  it('refuses an empty series', () => {
    expect(() => new PriceCollection('ohlc', new Map([['x', []]]))).toThrow('series "x" has no rows');
  });

  it('merges collections, refusing a name held twice', () => {
    const one = new PriceCollection('ohlc', new Map([['x', [row('2017-01-01', 1)]]]));
    const two = new PriceCollection('ohlc', new Map([['w', [row('2017-01-01', 2)]]]));
    const merged = PriceCollection.merge([one, two]);
    expect(merged.format).toBe('ohlc');
    expect(merged.seriesNames()).toEqual(['w', 'x']);
    expect(PriceCollection.merge([one, collection()]).format).toBe('long');
    expect(PriceCollection.merge([]).seriesNames()).toEqual([]);
    expect(() => PriceCollection.merge([one, one])).toThrow(DuplicateSeriesError);
    expect(() => PriceCollection.merge([one, one])).toThrow('series "x" appears in more than one collection');
  });
});

describe('assertMinimumLength', () => {
  it('passes a long enough series', () => {
    expect(() => assertMinimumLength({ name: 'Bitcoin', rows: 61 }, 61, 'window 50 + holdout 10')).not.toThrow();
  });

  it('says how short the series is and what needs more', () => {
    let caught: unknown;
    try {
      assertMinimumLength({ name: 'Neblio', rows: 11 }, 61, 'window 50 + holdout 10');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatasetTooShortError);
    expect(caught).toBeInstanceOf(DatasetParseError);
    expect(caught).toMatchObject({
      message: 'series "Neblio" has 11 points; window 50 + holdout 10 needs at least 61',
      series: 'Neblio',
      points: 11,
      needed: 61,
      file: '',
    });
  });

  it('takes values instead of a count, and a file for the message', () => {
    expect(() => assertMinimumLength({ name: 'x', values: [1, 2] }, 3, 'window 3', 'x.csv')).toThrow('x.csv: series "x" has 2 points; window 3 needs at least 3');
  });
});
