import { describe, expect, it } from 'vitest';
import { builtinDatasets, findBuiltinDataset } from './builtin.ts';

describe('builtin datasets', () => {
  it('have stable ids and attribution', () => {
    expect(builtinDatasets.map((dataset) => dataset.id)).toEqual(['crypto-top100', 'vega-stocks']);
    for (const dataset of builtinDatasets) {
      expect(dataset).toMatchObject({ kind: 'prices', name: expect.any(String), source: expect.any(String), license: expect.any(String) });
      expect(findBuiltinDataset(dataset.id)).toBe(dataset);
    }
    expect(findBuiltinDataset('nope')).toBeUndefined();
  });

  it('crypto-top100: 80 coins, Bitcoin daily from 2013-04-28 to 2017-09-22, no NaN anywhere', async () => {
    const prices = await findBuiltinDataset('crypto-top100')!.load();
    const summary = prices.summary();
    expect(summary.format).toBe('ohlc');
    expect(summary.seriesCount).toBeGreaterThanOrEqual(80);
    expect(prices.has('100 List')).toBe(false);

    // 28 Apr 2013 to 22 Sep 2017 inclusive is 1,609 days, every one present
    const bitcoin = prices.dates('Bitcoin');
    expect(bitcoin).toHaveLength(1609);
    expect(bitcoin[0]).toBe('2013-04-28');
    expect(bitcoin.at(-1)).toBe('2017-09-22');
    const gaps = bitcoin.filter((date, i) => i > 0 && Date.parse(date) - Date.parse(bitcoin[i - 1]!) !== 86_400_000);
    expect(gaps).toEqual([]);
    expect(prices.rows('Bitcoin')[0]).toEqual({
      date: '2013-04-28',
      open: 135.3,
      high: 135.98,
      low: 132.1,
      close: 134.21,
      volume: null,
      marketCap: 1_500_520_000,
    });
    expect(summary.series.find((series) => series.name === 'Neblio')).toEqual({ name: 'Neblio', rows: 11, from: '2017-09-12', to: '2017-09-22' });

    // one assertion at the end: an expect() per value would take seconds over 65k rows
    const bad: string[] = [];
    let rows = 0;
    for (const name of prices.seriesNames()) {
      const series = prices.rows(name);
      rows += series.length;
      series.forEach((row, i) => {
        const numbers = [row.close, row.open, row.high, row.low, row.volume, row.marketCap];
        if (!Number.isFinite(row.close) || numbers.some((value) => value !== null && !Number.isFinite(value))) bad.push(`${name} ${row.date}`);
        if (i > 0 && !(series[i - 1]!.date < row.date)) bad.push(`${name} ${row.date} out of order`);
      });
    }
    expect(bad).toEqual([]);
    expect(rows).toBe(summary.rowCount);
  });

  it('crypto-top100: reads the spreadsheet day number left in Monero.csv', async () => {
    const monero = (await findBuiltinDataset('crypto-top100')!.load()).rows('Monero');
    expect(monero.find((row) => row.date === '2015-03-30')).toMatchObject({ close: 0.853188, volume: 108_069, marketCap: 4_993_790 });
  });

  it('vega-stocks: five monthly series', async () => {
    const prices = await findBuiltinDataset('vega-stocks')!.load();
    expect(prices.format).toBe('long');
    expect(prices.seriesNames()).toEqual(['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT']);
    expect(prices.summary().rowCount).toBe(560);
    expect(prices.dates('MSFT').slice(0, 2)).toEqual(['2000-01-01', '2000-02-01']);
    expect(prices.closes('MSFT')[0]).toBe(39.81);
  });

  it('load once per process', async () => {
    const dataset = findBuiltinDataset('vega-stocks')!;
    expect(dataset.load()).toBe(dataset.load());
  });
});
