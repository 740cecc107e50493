import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetParseError } from '../errors.ts';
import { parseMessengerExport } from './messenger-export.ts';
import { loadMessengerExport } from './load-messenger-export.ts';
import { readMessengerZipBytes, readMessengerZipFile } from './messenger-zip-file.ts';
import { messengerFixtureFiles } from './testing/messenger-fixture.ts';
import { ZipFileWriter } from './testing/zip-writer.ts';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlq-messenger-zip-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function writeZip(name: string, build: (zip: ZipFileWriter) => Promise<void>): Promise<string> {
  const path = join(dir, name);
  const zip = new ZipFileWriter(path);
  await build(zip);
  await zip.finish();
  return path;
}

async function readError(path: string, maxBytes?: number): Promise<DatasetParseError> {
  const error = await readMessengerZipFile(path, { source: 'export.zip', ...(maxBytes ? { maxBytes } : {}) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DatasetParseError);
  return error as DatasetParseError;
}

const MESSAGE = 'messages/inbox/alice_1/message_1.json';

describe('readMessengerZipFile', () => {
  it('reads only the message files: photos are skipped, a video no inflater accepts is never opened', async () => {
    const path = await writeZip('export.zip', async (zip) => {
      await zip.addStored('your_facebook_activity/messages/inbox/alice_1/photos/big.jpg', 8 * MiB, Buffer.alloc(64 * 1024, 0xd8));
      await zip.addRaw('your_facebook_activity/messages/inbox/alice_1/videos/clip.mp4', 8, Buffer.alloc(4096, 0xff), 50 * MiB);
      for (const [file, bytes] of messengerFixtureFiles()) await zip.addDeflated(file, bytes);
    });
    const threads = await readMessengerZipFile(path, { maxBytes: MiB });
    expect(threads).toEqual(parseMessengerExport(messengerFixtureFiles()));
    expect(threads.length).toBeGreaterThan(1);
  });

  it('refuses message files whose declared sizes pass the bound, before inflating them', async () => {
    const path = await writeZip('declared.zip', (zip) => zip.addDeflated(MESSAGE, Buffer.from(`{"messages": [], "pad": "${'x'.repeat(2000)}"}`)));
    expect((await readError(path, 1000)).message).toBe('export.zip: the message files hold more than 1,000 bytes (at least 2,027)');
  });

  it('stops a zip bomb whose declared size lies, at the bound, naming the entry and the limit', async () => {
    const path = await writeZip('bomb.zip', (zip) => zip.addDeflated(MESSAGE, Buffer.alloc(16 * MiB, 0x20), 100));
    const error = await readError(path, MiB);
    expect(error.file).toBe(MESSAGE);
    expect(error.message).toBe(`${MESSAGE}: inflates past the limit of 1,048,576 bytes of message files (it declares 100; a zip bomb, or message files too large)`);
  });

  it('names the export for a file that is not a zip, one without message files and an HTML export', async () => {
    const notZip = join(dir, 'not.zip');
    await writeFile(notZip, 'PK but not really');
    expect((await readError(notZip)).message).toMatch(/^export\.zip: not a readable zip file \(.+\)$/);

    const photos = await writeZip('photos.zip', (zip) => zip.addStored('photos/a.jpg', 10, Buffer.alloc(10)));
    expect((await readError(photos)).message).toMatch(/^export\.zip: no Messenger message files found \(none of its 1 files matches\)/);

    const html = await writeZip('html.zip', (zip) => zip.addDeflated('messages/inbox/a_1/message_1.html', Buffer.from('<html>')));
    expect((await readError(html)).message).toBe('export.zip: this export is in HTML format; request "Download your information" again in JSON format');
  });

  it('names the message file for invalid JSON', async () => {
    const path = await writeZip('invalid.zip', (zip) => zip.addDeflated(MESSAGE, Buffer.from('{"messages": [')));
    const error = await readError(path);
    expect(error.file).toBe(MESSAGE);
    expect(error.message).toMatch(/not valid JSON/);
  });
});

describe('readMessengerZipBytes and loadMessengerExport of bytes', () => {
  it('bound a zip bomb in memory as the file reader does', async () => {
    const path = await writeZip('bomb-bytes.zip', (zip) => zip.addDeflated(MESSAGE, Buffer.alloc(16 * MiB, 0x20), 100));
    const bytes = new Uint8Array(await readFile(path));
    await expect(readMessengerZipBytes(bytes, { source: 'export.zip', maxBytes: MiB })).rejects.toThrow(/inflates past the limit of 1,048,576 bytes/);
    await expect(loadMessengerExport(bytes, { maxBytes: MiB })).rejects.toThrow(/inflates past the limit/);
  });
});
