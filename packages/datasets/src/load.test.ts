import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetParseError } from './errors.ts';
import { loadPriceDirectory, readPriceCsvFile } from './load.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlq-datasets-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
  return dir;
}

describe('readPriceCsvFile', () => {
  it('names the series and errors after the file', async () => {
    const dir = await folder('read', { 'Neo Coin.csv': 'Date,Close\n"Sep 22, 2017",1\n', 'bad.csv': 'Date,Close\n2017-01-01,x\n' });
    expect((await readPriceCsvFile(join(dir, 'Neo Coin.csv'))).seriesNames()).toEqual(['Neo Coin']);
    await expect(readPriceCsvFile(join(dir, 'bad.csv'))).rejects.toThrow('bad.csv line 2, column "Close": "x" is not a number');
    await expect(readPriceCsvFile(join(dir, 'bad.csv'), { file: 'upload.csv' })).rejects.toThrow('upload.csv line 2');
  });

  it('takes a file URL and options', async () => {
    const dir = await folder('url', { 'stocks.csv': 'ticker,date,close\nA,2017-01-01,1\n' });
    const collection = await readPriceCsvFile(pathToFileURL(join(dir, 'stocks.csv')), { format: 'ohlc', seriesName: 'all' });
    expect(collection.seriesNames()).toEqual(['all']);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const dir = await folder('latin1', { 'x.csv': Uint8Array.from([0x44, 0x61, 0x74, 0x65, 0xff]) });
    await expect(readPriceCsvFile(join(dir, 'x.csv'))).rejects.toThrow(DatasetParseError);
  });
});

describe('loadPriceDirectory', () => {
  it('loads one series per CSV file and skips files without a Date column', async () => {
    const dir = await folder('coins', {
      'B.csv': 'Date,Close\n"Sep 22, 2017",2\n"Sep 21, 2017",1\n',
      'A.CSV': 'Date,Close\n2017-01-01,5\n',
      '100 List.csv': '#,Name,Market Cap,Price\n1,Bitcoin,"$60,219,183,594","$3,631.72"\n',
      'notes.txt': 'not a csv',
    });
    const collection = await loadPriceDirectory(dir);
    expect(collection.format).toBe('ohlc');
    expect(collection.seriesNames()).toEqual(['A', 'B']);
    expect(collection.closes('B')).toEqual([1, 2]);
  });

  it('reports a broken file by name and line', async () => {
    const dir = await folder('broken', { 'ok.csv': 'Date,Close\n2017-01-01,5\n', 'Bad Coin.csv': 'Date,Close\n2017-01-01,5\n2017-01-01,6\n' });
    await expect(loadPriceDirectory(dir)).rejects.toThrow('Bad Coin.csv line 3, column "Date": duplicate date 2017-01-01 in series "Bad Coin" (lines 2 and 3)');
  });

  it('refuses a folder without price files', async () => {
    const dir = await folder('empty', { 'list.csv': 'Name,Price\nA,1\n' });
    await expect(loadPriceDirectory(dir)).rejects.toThrow('empty: the folder holds no price CSV files');
  });

  // The shared data folder beside the checkout (see ../shared/data/README.md from the repository root) still has the
  // ranking file "100 List.csv" that the bundled copy leaves out.
  const shared = fileURLToPath(new URL('../../../../shared/data/crypto-top100/', import.meta.url));
  it.skipIf(!existsSync(join(shared, '100 List.csv')))('skips "100 List.csv" in the original crypto folder', async () => {
    const collection = await loadPriceDirectory(shared);
    expect(collection.seriesNames()).toHaveLength(80);
    expect(collection.has('100 List')).toBe(false);
  });
});
