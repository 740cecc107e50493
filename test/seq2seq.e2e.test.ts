import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { smallTalkPairs } from '@mlq/models';
import { messengerFixtureFiles } from '../packages/datasets/src/conversations/testing/messenger-fixture.ts';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';

/**
 * The seq2seq chatbot end to end: a Messenger export zip (and JSON/CSV pairs, and word vectors)
 * uploaded through the API, a model trained on a real worker process with probe replies in its
 * progress, then replies greedy and beam through POST /v1/predict?wait.
 */
let system: TestSystem;
let pairsId: string;
let vectorsId: string;

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => system.api.inject({ method: 'POST', url, payload: payload as string, headers });
const zip = (files: Map<string, Uint8Array>) => Buffer.from(zipSync(Object.fromEntries(files)));
const owner = encodeURIComponent('Zoë Martín');
// Learns the 28 small-talk pairs by heart in seconds on two cores.
const memorise = { embeddingSize: 16, units: 64, epochs: 40, batchSize: 8, learningRate: 0.02, dropout: 0, validationSplit: 0, maxInputLength: 10, maxReplyLength: 10 };

beforeAll(async () => {
  system = await startTestSystem({ workers: 1 });
});
afterAll(async () => {
  await system?.close();
});

describe('conversation datasets through the API', () => {
  it('turns a zipped Messenger export into pairs for its owner, reporting what was skipped', async () => {
    const response = await post(`/v1/datasets?kind=messenger&owner=${owner}&name=facebook-zoe.zip`, zip(messengerFixtureFiles()), { 'content-type': 'application/zip' });
    expect(response.statusCode, response.body).toBe(201);
    const record = response.json();
    expect(record).toMatchObject({ kind: 'pairs', format: 'messenger', summary: { pairs: 4, source: 'messenger', owner: 'Zoë Martín', maxGapMinutes: 360 } });
    expect(record.summary.messenger).toEqual({
      pairs: 4,
      threads: { total: 4, used: 3 },
      messages: 26,
      skipped: { media_only: 3, system: 4, empty: 1, no_reply: 4, no_input: 1, long_gap: 1 },
    });
    expect(record.summary.examples[0]).toEqual({ input: 'Hi Zoë! ça va?\nLong time no see', reply: 'Hey Alice 😀\nAll good, you?' });

    const longerGap = await post(`/v1/datasets?kind=messenger&owner=${owner}&maxGapMinutes=600`, zip(messengerFixtureFiles()), { 'content-type': 'application/zip' });
    expect(longerGap.json().summary.pairs).toBe(5);
  });

  it('refuses a bad export with 400 naming the file, the owner or what is missing', async () => {
    const notZip = await post(`/v1/datasets?kind=messenger&owner=${owner}&name=export.zip`, 'hello', { 'content-type': 'application/zip' });
    expect(notZip.json()).toMatchObject({ statusCode: 400, details: { file: 'export.zip' } });
    expect(notZip.json().message).toMatch(/not a readable zip/);

    const broken = new Map(messengerFixtureFiles());
    broken.set('messages/inbox/frank_6006/message_1.json', new TextEncoder().encode('{"participants": [], "messages": [{"sender_name": "Frank"}]}'));
    const incomplete = await post(`/v1/datasets?kind=messenger&owner=${owner}`, zip(broken), { 'content-type': 'application/zip' });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().message).toMatch(/messages\/inbox\/frank_6006\/message_1\.json.*timestamp_ms/);

    const stranger = await post('/v1/datasets?kind=messenger&owner=Nobody', zip(messengerFixtureFiles()), { 'content-type': 'application/zip' });
    expect(stranger.json()).toMatchObject({ statusCode: 400, field: 'querystring/owner' });
    expect(stranger.json().details.candidates[0]).toBe('Zoë Martín');

    const noOwner = await post('/v1/datasets?kind=messenger', zip(messengerFixtureFiles()), { 'content-type': 'application/zip' });
    expect(noOwner.json()).toMatchObject({ statusCode: 400, field: 'querystring/owner' });

    const html = await post(`/v1/datasets?kind=messenger&owner=${owner}`, zip(new Map([['messages/inbox/a_1/message_1.html', new Uint8Array([60])]])), { 'content-type': 'application/zip' });
    expect(html.json().message).toMatch(/HTML format/);
  });

  it('accepts pairs as JSON or CSV and word vectors as GloVe text', async () => {
    const json = await post('/v1/datasets?kind=pairs&name=smalltalk.json', JSON.stringify(smallTalkPairs), { 'content-type': 'application/json' });
    expect(json.statusCode, json.body).toBe(201);
    expect(json.json()).toMatchObject({ kind: 'pairs', format: 'json', summary: { pairs: 28, examples: [{ input: 'hi', reply: 'hey! how are you?' }, {}, {}] } });
    pairsId = json.json().id;

    const csv = await post('/v1/datasets?kind=pairs&name=p.csv', 'reply,input\n"fine, thanks",how are you?\nhello,hi\n', { 'content-type': 'text/csv' });
    expect(csv.json()).toMatchObject({ kind: 'pairs', format: 'csv', summary: { pairs: 2, examples: [{ input: 'how are you?', reply: 'fine, thanks' }, {}] } });
    const badCsv = await post('/v1/datasets?kind=pairs&name=bad.csv', 'question,answer\na,b\n', { 'content-type': 'text/csv' });
    expect(badCsv.json()).toMatchObject({ statusCode: 400 });
    expect(badCsv.json().message).toMatch(/bad\.csv.*input/);

    const words = [...new Set(smallTalkPairs.flatMap((p) => `${p.input} ${p.reply}`.split(/[^a-z]+/)).filter(Boolean))];
    const glove = words.map((word, i) => `${word} ${Array.from({ length: 16 }, (_, d) => (Math.sin(i * 16 + d) / 10).toFixed(4)).join(' ')}`).join('\n');
    const vectors = await post('/v1/datasets?kind=word-vectors&name=vectors.txt', glove, { 'content-type': 'text/plain' });
    expect(vectors.statusCode, vectors.body).toBe(201);
    expect(vectors.json()).toMatchObject({ kind: 'word-vectors', format: 'glove', summary: { words: words.length, dimension: 16 } });
    vectorsId = vectors.json().id;

    const ragged = await post('/v1/datasets?kind=word-vectors&name=ragged.txt', 'a 0.1 0.2\nb 0.3\n', { 'content-type': 'text/plain' });
    expect(ragged.json().statusCode).toBe(400);
    expect(ragged.json().message).toMatch(/ragged\.txt/);
  });
});

describe('seq2seq through the API', () => {
  let modelId: string;

  it('rejects bad training requests naming the field', async () => {
    const dimension = await post('/v1/train', { kind: 'seq2seq', dataset: pairsId, wordVectors: vectorsId });
    expect(dimension.json()).toMatchObject({ statusCode: 400, field: 'body/params/embeddingSize' });
    expect(dimension.json().message).toMatch(/dimension 16; params.embeddingSize is 64/);
    const frozen = await post('/v1/train', { kind: 'seq2seq', dataset: pairsId, params: { freezeEmbeddings: true } });
    expect(frozen.json()).toMatchObject({ statusCode: 400, field: 'body/params/freezeEmbeddings' });
    const text = await post('/v1/train', { kind: 'seq2seq', dataset: 'tinyshakespeare' });
    expect(text.json()).toMatchObject({ statusCode: 400, message: 'dataset tinyshakespeare holds text; a seq2seq model needs a pairs dataset' });
    const vectorsAsPairs = await post('/v1/train', { kind: 'seq2seq', dataset: pairsId, wordVectors: pairsId, params: { embeddingSize: 16 } });
    expect(vectorsAsPairs.json()).toMatchObject({ statusCode: 400 });
    const probes = await post('/v1/train', { kind: 'seq2seq', dataset: pairsId, params: { probes: Array(11).fill('hi') } });
    expect(probes.json()).toMatchObject({ statusCode: 400, message: 'body/params/probes must NOT have more than 10 items' });
  });

  it('trains with word vectors, showing probe replies as it goes, and reproduces the trained replies', async () => {
    const response = await post('/v1/train', { kind: 'seq2seq', dataset: pairsId, wordVectors: vectorsId, name: 'chatty', params: { ...memorise, probes: ['hi', 'good night'] }, seed: 1 });
    expect(response.statusCode, response.body).toBe(202);
    const probeSnapshots: unknown[] = [];
    const job = await pollJob(system.api, response.json().jobId, finished, {
      timeoutMs: 110_000,
      onView: (view) => view.progress?.probes && probeSnapshots.push(view.progress.probes),
    });
    expect(job.state, job.error).toBe('completed');
    expect(probeSnapshots.length).toBeGreaterThan(0);
    expect(job.progress).toMatchObject({ kind: 'seq2seq', epoch: 40, epochs: 40 });
    expect(job.result).toMatchObject({ kind: 'seq2seq', name: 'chatty', pairs: { training: 28, validation: 0, skipped: 0 } });
    expect(job.result.metrics.tokenAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(job.result.embeddingCoverage).toMatchObject({ found: expect.any(Number), total: expect.any(Number) });
    expect(job.result.embeddingCoverage.found).toBeGreaterThan(job.result.embeddingCoverage.total * 0.8);
    expect(job.result.probes).toEqual([
      { input: 'hi', reply: 'hey! how are you?' },
      { input: 'good night', reply: 'night, sleep well' },
    ]);
    modelId = job.result.modelId;
    const model = (await system.api.inject({ method: 'GET', url: '/v1/models/chatty' })).json();
    expect(model).toMatchObject({ id: modelId, kind: 'seq2seq', wordVectors: vectorsId });
  });

  it('replies greedy and beam with wait, and answers a message of unknown words', async () => {
    const ask = async (body: Record<string, unknown>) => {
      const response = await post('/v1/predict?wait=30', { model: 'chatty', ...body });
      expect(response.statusCode, JSON.stringify(system.workers()[0]!.logs.slice(-8))).toBe(200);
      expect(response.json().state, response.json().error).toBe('completed');
      return response.json().result;
    };
    const greedy = await ask({ message: 'Where are you?' });
    expect(greedy).toMatchObject({ kind: 'seq2seq', strategy: 'greedy', reply: 'on my way', unknownWords: [] });
    const beam = await ask({ message: 'where are you?', strategy: 'beam', beamWidth: 4, n: 3 });
    expect(beam.replies).toHaveLength(3);
    expect(beam.reply).toBe(beam.replies[0].text);
    const scores = beam.replies.map((r: { score: number }) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const unknown = await ask({ message: 'xyzzy plugh' });
    expect(unknown.unknownWords).toEqual(['xyzzy', 'plugh']);
    expect(unknown.reply.length).toBeGreaterThan(0);
    for (const reply of [greedy, beam, unknown].flatMap((r) => r.replies)) {
      expect(reply.tokens.some((t: string) => ['<pad>', '<start>', '<end>', '<unk>'].includes(t))).toBe(false);
    }
  });

  it('rejects prediction fields of other kinds and options of beam search without it', async () => {
    const seedText = await post('/v1/predict', { model: 'chatty', message: 'hi', seedText: 'x' });
    expect(seedText.json()).toMatchObject({ statusCode: 400, field: 'body/seedText' });
    expect(seedText.json().message).toMatch(/seedText applies to textgen models; model chatty is a seq2seq model/);
    const width = await post('/v1/predict', { model: 'chatty', message: 'hi', beamWidth: 3 });
    expect(width.json()).toMatchObject({ statusCode: 400, message: 'beamWidth applies to strategy "beam" only' });
    const tooMany = await post('/v1/predict', { model: 'chatty', message: 'hi', strategy: 'beam', beamWidth: 2, n: 3 });
    expect(tooMany.json()).toMatchObject({ statusCode: 400, field: 'body/n' });
    const blank = await post('/v1/predict', { model: 'chatty', message: '   ' });
    expect(blank.json()).toMatchObject({ statusCode: 400, field: 'body/message' });
    const stream = await post('/v1/predict?stream=true', { model: 'chatty', message: 'hi' });
    expect(stream.json()).toMatchObject({ statusCode: 400, field: 'querystring/stream' });
  });
});
