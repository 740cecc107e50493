import { request as httpRequest } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messengerFixtureFiles } from '../packages/datasets/src/conversations/testing/messenger-fixture.ts';
import { ZipFileWriter } from '../packages/datasets/src/conversations/testing/zip-writer.ts';
import { startTestSystem, type TestSystem } from './harness/system.ts';

/**
 * Uploads under hostile input: 1 MB headers, names, cells and nesting are answered 4xx or 201
 * while /healthz keeps answering; multipart mistakes are 400s; a Messenger export padded with
 * hundreds of MiB of photos is accepted without the API holding it; a zip bomb is a 400; and no
 * temporary file outlives its request.
 */
const MiB = 1024 * 1024;
/** Photos in the big export; MLQ_BIG_EXPORT_MIB=1100 runs it at the issue's "several GiB" scale. */
const PHOTO_MIB = Number(process.env.MLQ_BIG_EXPORT_MIB ?? 256);
const OWNER = encodeURIComponent('Zoë Martín');

let system: TestSystem;
let scratch: string;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0, apiEnv: { MAX_MESSENGER_JSON_BYTES: String(MiB) } });
  scratch = await mkdtemp(path.join(tmpdir(), 'mlq-uploads-e2e-'));
});
afterAll(async () => {
  await system?.close();
  await rm(scratch, { recursive: true, force: true });
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => system.api.inject({ method: 'POST', url, payload: payload as string, headers });

/** Starts the API on a real port (once): what a client sees over HTTP, streaming included. */
async function listening(): Promise<number> {
  if (!system.api.server.listening) await system.api.listen({ host: '127.0.0.1', port: 0 });
  return (system.api.server.address() as AddressInfo).port;
}

async function temporaryFiles(): Promise<string[]> {
  return readdir(path.join(system.storeDir, '.uploads')).catch(() => []);
}

async function writeExport(name: string, build: (zip: ZipFileWriter) => Promise<void>): Promise<string> {
  const file = path.join(scratch, name);
  const zip = new ZipFileWriter(file);
  await build(zip);
  await zip.finish();
  return file;
}

const fixtureJson = async (zip: ZipFileWriter) => {
  for (const [file, bytes] of messengerFixtureFiles()) await zip.addDeflated(file, bytes);
};

describe('hostile uploads', () => {
  const star = '*'.repeat(MiB);
  const cases: { what: string; url: string; type: string; body: string; status: number[] }[] = [
    { what: '1 MB of `*` then one more character in a CSV header', url: '/v1/datasets?name=stars.csv', type: 'text/csv', body: `${star}x,Close\n2024-01-01,1\n`, status: [400] },
    { what: 'a 1 MB column name', url: '/v1/datasets?name=column.csv', type: 'text/csv', body: `Date,${'c'.repeat(MiB)}\n2024-01-01,1\n`, status: [400] },
    { what: 'a 1 MB cell', url: '/v1/datasets?name=cell.csv', type: 'text/csv', body: `Date,Close\n2024-01-01,${'9'.repeat(MiB)}x\n`, status: [400] },
    { what: 'a 1 MB series name in the file', url: '/v1/datasets?name=long.csv', type: 'text/csv', body: `date,symbol,close\n2024-01-01,${'s'.repeat(MiB)},1\n`, status: [201, 400] },
    { what: 'JSON pairs nested 500,000 deep', url: '/v1/datasets?kind=pairs&name=deep.json', type: 'application/json', body: `${'['.repeat(MiB / 2)}${']'.repeat(MiB / 2)}`, status: [400] },
    {
      what: 'a 1 MB pair input',
      url: '/v1/datasets?kind=pairs&name=long.json',
      type: 'application/json',
      body: JSON.stringify([{ input: 'a'.repeat(MiB), reply: 'b' }]),
      status: [201, 400],
    },
    { what: 'a 1 MB word of a word vector', url: '/v1/datasets?kind=word-vectors&name=w.txt', type: 'text/plain', body: `${'w'.repeat(MiB)} 0.1 0.2\nx 0.3 0.4\n`, status: [201, 400] },
    { what: 'a 1 MB line of text', url: '/v1/datasets?kind=text&name=line.txt', type: 'text/plain', body: 'word '.repeat(MiB / 5), status: [201] },
    { what: 'a 1 MB owner name', url: `/v1/datasets?kind=messenger&owner=${'o'.repeat(MiB)}`, type: 'application/zip', body: 'PK', status: [400] },
    { what: 'a 1 MB dataset name', url: `/v1/datasets?name=${'n'.repeat(MiB)}`, type: 'text/csv', body: 'Date,Close\n2024-01-01,1\n', status: [400] },
  ];

  it('each is a 4xx or a 201, and /healthz answers while it is being handled', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      for (const { what, url, type, body, status } of cases) {
        let pending = true;
        const upload = post(url, body, { 'content-type': type }).finally(() => (pending = false));
        let probes = 0;
        while (pending) {
          expect((await system.api.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
          // Probes are spaced so that a hung upload fails the test instead of filling memory.
          await new Promise((resolve) => setTimeout(resolve, 5));
          expect(++probes, `${what}: still not answered`).toBeLessThan(4_000);
        }
        const response = await upload;
        expect(status, `${what}: ${response.statusCode} ${response.body.slice(0, 300)}`).toContain(response.statusCode);
        expect(probes, what).toBeGreaterThan(0);
        expect(await temporaryFiles(), what).toEqual([]);
      }
    } finally {
      delay.disable();
    }
    // Generous on purpose: it tells "off the event loop" from the 18.6 s a 160,000-star header
    // used to block it, on a loaded CI machine.
    console.log(`hostile uploads: event loop delay max ${(delay.max / 1e6).toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms`);
    expect(delay.max / 1e6).toBeLessThan(1_000);
  });
});

describe('multipart mistakes are 400s that say what is wrong', () => {
  const boundary = '----mlq';
  const type = `multipart/form-data; boundary=${boundary}`;
  const part = (field: string, content: string, fileName?: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"${fileName ? `; filename="${fileName}"` : ''}\r\n` + `${fileName ? 'Content-Type: text/csv\r\n' : ''}\r\n${content}\r\n`;
  const end = `--${boundary}--\r\n`;
  const csv = 'Date,Close\n2024-01-01,1\n2024-01-02,2\n';

  it.each([
    ['a truncated body', type, `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nDate,Clo`, /malformed or truncated upload/],
    ['a multipart type without boundary', 'multipart/form-data', part('file', csv, 'a.csv') + end, /malformed or truncated upload: .*[Bb]oundary/],
    ['a second file', type, part('file', csv, 'a.csv') + part('file', csv, 'b.csv') + end, /holds one file \(field "file"\); this one holds a second/],
    ['no file field', type, part('name', 'prices') + end, /has no file field "file"/],
    ['a file in another field', type, part('upload', csv, 'a.csv') + end, /field "upload" holds a file; send the upload as field "file"/],
    ['a 100,000-character file name', type, part('file', csv, `${'f'.repeat(100_000)}.csv`) + end, /file name is longer than 200 characters; give the dataset a shorter one with name=/],
  ])('%s', async (_what, contentType, body, message) => {
    const response = await post('/v1/datasets', body, { 'content-type': contentType });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().message).toMatch(message);
    expect(await temporaryFiles()).toEqual([]);
  });

  it('a multipart file over the limit is a 413 naming it, and the temporary file is removed', async () => {
    const response = await post('/v1/datasets', part('file', 'x'.repeat(21 * MiB), 'big.csv') + end, { 'content-type': type });
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toBe('the upload is too large: more than 20971520 bytes (MAX_UPLOAD_BYTES)');
    expect(await temporaryFiles()).toEqual([]);
  });
});

describe('streamed uploads', () => {
  it('a raw body without content-length is stopped at the limit while it streams, with 413', async () => {
    async function* chunks() {
      for (let i = 0; i < 22; i++) yield Buffer.alloc(MiB, 0x61);
    }
    const response = await system.api.inject({ method: 'POST', url: '/v1/datasets?kind=text', payload: Readable.from(chunks()), headers: { 'content-type': 'text/plain' } });
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toMatch(/MAX_UPLOAD_BYTES/);
    expect(await temporaryFiles()).toEqual([]);
  });

  it('over HTTP, a client streaming past the limit reads the 413 (the connection is not reset first)', async () => {
    const port = await listening();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/datasets?kind=text', headers: { 'content-type': 'text/plain' } }, (response) => {
        let text = '';
        response
          .setEncoding('utf8')
          .on('data', (chunk: string) => (text += chunk))
          .on('end', () => resolve({ status: response.statusCode!, body: text }));
      });
      request.on('error', reject);
      Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield Buffer.alloc(MiB, 0x61);
        })(),
      )
        .pipe(request)
        .on('error', () => {});
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).message).toMatch(/MAX_UPLOAD_BYTES/);
    expect(await temporaryFiles()).toEqual([]);
  });

  it('a Messenger zip message entry that inflates past MAX_MESSENGER_JSON_BYTES is a 400 naming the limit, whatever its declared size', async () => {
    const entry = 'messages/inbox/bomb_1/message_1.json';
    for (const declared of [undefined, 100]) {
      const file = await writeExport(`bomb-${declared}.zip`, async (zip) => {
        await fixtureJson(zip);
        await zip.addDeflated(entry, Buffer.alloc(32 * MiB, 0x20), declared);
      });
      const response = await post(`/v1/datasets?kind=messenger&owner=${OWNER}`, createReadStream(file), { 'content-type': 'application/zip' });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().message).toMatch(declared === undefined ? /the message files hold more than 1,048,576 bytes/ : /inflates past the limit of 1,048,576 bytes/);
      expect(await temporaryFiles()).toEqual([]);
    }
  });

  it(`accepts a Messenger export with ${PHOTO_MIB} MiB of photos, reading only its message files, without the API holding it`, async () => {
    const file = await writeExport('big-export.zip', async (zip) => {
      const photo = Buffer.alloc(MiB, 0xd8);
      for (let i = 0; i * 64 < PHOTO_MIB; i++) {
        await zip.addStored(`your_facebook_activity/messages/inbox/alice_1/photos/${i}.jpg`, Math.min(64, PHOTO_MIB - i * 64) * MiB, photo);
      }
      await fixtureJson(zip);
    });
    // The parse thread starts on first use; its start is not what is measured here.
    const warm = await post(`/v1/datasets?kind=messenger&owner=${OWNER}`, createReadStream(await writeExport('small.zip', fixtureJson)), { 'content-type': 'application/zip' });
    expect(warm.statusCode, warm.body).toBe(201);

    const port = await listening();
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, method: 'POST', path: `/v1/datasets?kind=messenger&owner=${OWNER}&name=facebook.zip`, headers: { 'content-type': 'application/zip' } },
        (response) => {
          let text = '';
          response
            .setEncoding('utf8')
            .on('data', (chunk: string) => (text += chunk))
            .on('end', () => resolve({ status: response.statusCode!, body: text }));
        },
      );
      request.on('error', reject);
      createReadStream(file).pipe(request);
    });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const growthMib = (peak - before) / MiB;
    console.log(
      `Messenger export of ${PHOTO_MIB} MiB of photos: ${status} in ${seconds.toFixed(1)} s (${(PHOTO_MIB / seconds).toFixed(0)} MiB/s), RSS ${(before / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB (+${growthMib.toFixed(0)})`,
    );

    expect(status, body).toBe(201);
    const record = JSON.parse(body);
    expect(record).toMatchObject({ kind: 'pairs', format: 'messenger', summary: { pairs: 4, source: 'messenger', owner: 'Zoë Martín' } });
    expect(record.bytes).toBeGreaterThan(PHOTO_MIB * MiB);
    // Holding the upload would grow RSS by its size; streaming it costs buffers.
    expect(growthMib).toBeLessThan(Math.min(96, PHOTO_MIB / 4));
    expect(await temporaryFiles()).toEqual([]);
  });
});

describe('a busy parser', () => {
  let busy: TestSystem;
  beforeAll(async () => {
    busy = await startTestSystem({ workers: 0, apiEnv: { UPLOAD_PARSE_THREADS: '1', UPLOAD_PARSE_QUEUE: '0' } });
  });
  afterAll(async () => busy?.close());

  it('refuses the next upload with 503 and retry-after while its only thread parses and its queue is full', async () => {
    // A few seconds of parsing: 16 MiB of message JSON.
    const file = await writeExport('slow.zip', async (zip) => {
      await fixtureJson(zip);
      for (let thread = 0; thread < 12; thread++) {
        const messages = Array.from({ length: 10_000 }, (_, i) => ({
          sender_name: i % 2 ? 'Zoë Martín' : 'Friend',
          timestamp_ms: 1e12 - i * 60_000,
          content: `message ${i} of thread ${thread}, an ordinary sentence`,
        }));
        await zip.addDeflated(`messages/inbox/t_${thread}/message_1.json`, Buffer.from(JSON.stringify({ participants: [{ name: 'Friend' }], messages })));
      }
    });
    const size = (await stat(file)).size;
    const dir = path.join(busy.storeDir, '.uploads');
    const first = busy.api.inject({ method: 'POST', url: `/v1/datasets?kind=messenger&owner=${OWNER}`, payload: createReadStream(file), headers: { 'content-type': 'application/zip' } });
    // Once its body is on disk, the first upload holds the thread (or is about to, before any later upload can).
    for (;;) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const sizes = await Promise.all(names.map(async (name) => (await stat(path.join(dir, name)).catch(() => undefined))?.size ?? 0));
      if (sizes.includes(size)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await busy.api.inject({ method: 'POST', url: '/v1/datasets?name=second.csv', payload: 'Date,Close\n2024-01-01,1\n', headers: { 'content-type': 'text/csv' } });
    expect(second.statusCode, second.body).toBe(503);
    expect(second.headers['retry-after']).toBe('5');
    expect(second.json().message).toMatch(/every upload parser is busy/);
    expect((await first).statusCode).toBe(201);
    expect(await readdir(dir)).toEqual([]);
  });
});
