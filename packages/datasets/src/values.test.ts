import { describe, expect, it } from 'vitest';
import { parseDateCell, parseNumberCell } from './values.ts';

describe('parseNumberCell', () => {
  it.each([
    ['3630.7', 3630.7],
    ['1,194,830,000', 1_194_830_000],
    ['60,152,300,000', 60_152_300_000],
    ['1,234.5', 1234.5],
    ['-0.5', -0.5],
    ['+2', 2],
    ['0', 0],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2.5E-3', 0.0025],
  ])('reads %s', (raw, value) => {
    expect(parseNumberCell(raw)).toEqual({ value });
  });

  it.each(['-', ''])('reads %j as missing', (raw) => {
    expect(parseNumberCell(raw)).toEqual({ value: null });
  });

  it.each(['abc', '1.2.3', 'NaN', 'Infinity', '-Infinity', '1,23', '12,3456', ',123', '$5', '0x10', '1 000', '--1', 'e5', '.'])('refuses %j', (raw) => {
    expect(parseNumberCell(raw)).toEqual({ problem: `${JSON.stringify(raw)} is not a number` });
  });

  it('refuses numbers beyond the double range', () => {
    expect(parseNumberCell('1e999')).toEqual({ problem: '"1e999" is out of range' });
  });

  it('shortens a long cell in its message', () => {
    const problem = parseNumberCell('x'.repeat(500)).problem!;
    expect(problem).toBe(`"${'x'.repeat(40)}…" is not a number`);
  });
});

describe('parseDateCell', () => {
  it.each([
    ['Sep 22, 2017', '2017-09-22'],
    ['Apr 28, 2013', '2013-04-28'],
    ['Jan 1 2000', '2000-01-01'],
    ['September 2, 2017', '2017-09-02'],
    ['sept 2 2017', '2017-09-02'],
    ['22 Sep 2017', '2017-09-22'],
    ['22-Sep-2017', '2017-09-22'],
    ['2017-09-22', '2017-09-22'],
    ['Feb 29, 2016', '2016-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['42093', '2015-03-30'], // Excel day number, as in the bundled Monero.csv
    ['25569', '1970-01-01'],
  ])('reads %j', (raw, iso) => {
    expect(parseDateCell(raw)).toEqual({ value: iso });
  });

  it.each(['09/22/2017', '22.09.2017', '2017', '20170922', '1506038400', 'Sep 2017', 'tomorrow', '2017-9-22'])('refuses %j', (raw) => {
    expect(parseDateCell(raw)).toEqual({
      problem: `${JSON.stringify(raw)} is not a date (expected YYYY-MM-DD or like "Sep 22, 2017")`,
    });
  });

  it.each(['Feb 29, 2017', '1900-02-29', '2017-13-01', '2017-00-10', 'Sep 31, 2017', 'Foo 1, 2017', 'Jan 0 2000'])('refuses the impossible date %j', (raw) => {
    expect(parseDateCell(raw)).toEqual({ problem: `${JSON.stringify(raw)} is not a valid calendar date` });
  });

  it('names a missing date', () => {
    expect(parseDateCell('-').problem).toBe('the date is missing (expected YYYY-MM-DD or like "Sep 22, 2017")');
  });
});
