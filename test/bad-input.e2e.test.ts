import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestSystem, type TestSystem } from './harness/system.ts';
import type { WorkerProcess } from './harness/processes.ts';

let system: TestSystem;
let worker: WorkerProcess;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0, apiEnv: { MAX_UPLOAD_BYTES: '4096' } });
  worker = await system.startWorker();
});
afterAll(async () => system?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => system.api.inject({ method: 'POST', url, payload: payload as string, headers });

describe('bad input is answered 4xx with a message, and nothing crashes', () => {
  it('malformed JSON', async () => {
    const response = await post('/v1/train', '{"kind": "price",', { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/JSON/);
  });

  it('wrong types and out-of-range values name the field', async () => {
    const wrongType = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Bitcoin', params: { epochs: 'many' } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({ field: 'body/params/epochs' });
    expect(wrongType.json().message).toMatch(/params\/epochs must be integer/);

    const tooBig = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 5000 } });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().message).toMatch(/window must be <= 365/);

    const missing = await post('/v1/predict', { horizon: 3 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/must have required property 'model'/);

    const unknownField = await post('/v1/predict', { model: 'x', colour: 2 });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().message).toMatch(/additional properties/);

    const wait = await post('/v1/predict?wait=100000', { model: 'x' });
    expect(wait.statusCode).toBe(400);
    expect(wait.json().message).toMatch(/wait must be <= 60/);
  });

  it('unknown dataset, series, model, job and batch are 404', async () => {
    const dataset = await post('/v1/train', { kind: 'price', dataset: 'nope', series: 'Bitcoin' });
    expect(dataset.statusCode).toBe(404);
    expect(dataset.json().message).toMatch(/dataset not found: nope/);
    const series = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Dogecoin2' });
    expect(series.statusCode).toBe(404);
    expect(series.json().message).toMatch(/Dogecoin2/);
    const model = await post('/v1/predict', { model: 'no-such-model@3' });
    expect(model.statusCode).toBe(404);
    expect(model.json().message).toBe('model not found: no-such-model@3');
    for (const url of ['/v1/jobs/tr_00000000000000000000', '/v1/jobs/whatever', '/v1/batches/bt_00000000000000000000', '/v1/models/m_nope', '/v1/datasets/ds_nope']) {
      expect((await system.api.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('a series too short for the model is 400', async () => {
    const response = await post('/v1/train', { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Neblio' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('series "Neblio" has 11 points; lstm with these params needs at least 70');
    // The default architecture, auto, needs the holdout (10) and 2 points to fit on.
    const byDefault = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Neblio' });
    expect(byDefault.statusCode).toBe(400);
    expect(byDefault.json().message).toBe('series "Neblio" has 11 points; auto with these params needs at least 12');
  });

  it('oversized, empty, non-UTF-8 and garbage uploads', async () => {
    const big = await post('/v1/datasets?name=big.csv', 'Date,Close\n' + '"Sep 22, 2017",1\n'.repeat(1000), { 'content-type': 'text/csv' });
    expect(big.statusCode).toBe(413);
    expect(big.json().message).toMatch(/too large/i);

    const empty = await post('/v1/datasets?name=empty.csv', '', { 'content-type': 'text/csv' });
    expect(empty.statusCode).toBe(400);

    const binary = await system.api.inject({
      method: 'POST',
      url: '/v1/datasets?name=image.csv',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x01]),
    });
    expect(binary.statusCode).toBe(400);
    expect(binary.json().message).toMatch(/image\.csv/);

    const garbage = await post('/v1/datasets?name=prices.csv', 'Date,Close\n"Sep 22, 2017",10\n"Sep 21, 2017",abc\n', { 'content-type': 'text/csv' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().details).toMatchObject({ file: 'prices.csv', line: 3, column: 'Close' });
    expect(garbage.json().message).toMatch(/prices\.csv line 3.*"abc"/);

    const noClose = await post('/v1/datasets?name=x.csv', 'Date,Open\n"Sep 22, 2017",10\n', { 'content-type': 'text/csv' });
    expect(noClose.statusCode).toBe(400);
    expect(noClose.json().message).toMatch(/close/i);

    const wrongType = await post('/v1/datasets', { rows: [] });
    expect(wrongType.statusCode).toBe(415);
  });

  it('multipart uploads work and are bounded too', async () => {
    const boundary = '----mlqtest';
    const body = (content: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="coin.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`;
    const csv = 'Date,Close\n' + Array.from({ length: 30 }, (_, i) => `2017-01-${String(i + 1).padStart(2, '0')},${100 + i}`).join('\n');
    const ok = await post('/v1/datasets', body(csv), { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ name: 'coin.csv', summary: { series: [{ name: 'coin', rows: 30 }] } });
    const big = await post('/v1/datasets', body(csv.repeat(20)), { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(big.statusCode).toBe(413);
  });

  it('a bad payload put straight on the queue fails without retries, and the worker stays up', async () => {
    const connection = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('train', { connection, prefix: system.redis.prefix });
    const events = new QueueEvents('train', { connection, prefix: system.redis.prefix });
    await events.waitUntilReady();
    const job = await queue.add('train', { kind: 'price', dataset: 42, series: 'Bitcoin' }, { jobId: 'tr_0123456789abcdef0123', attempts: 3 });
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/invalid payload: \/dataset/);
    const failed = await queue.getJob(job.id!);
    expect(failed!.attemptsMade).toBe(1);
    await events.close();
    await queue.close();
    connection.disconnect();
    expect(worker.child.exitCode).toBeNull();
    const ready = await system.api.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });
});
