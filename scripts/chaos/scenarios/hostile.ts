import { readFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RequestStats } from '../http.ts';
import { settleJobs } from '../jobs.ts';
import { rowFrom, type ChaosRow } from '../report.ts';
import type { ChaosContext, Scenario } from '../context.ts';
import type { ChaosApi } from '../system.ts';

/** Peak and current resident memory of a process, in MiB (Linux; undefined elsewhere). */
async function memoryMiB(pid: number | undefined): Promise<{ rss: number; peak: number } | undefined> {
  if (!pid) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    return { rss: Math.round(field('VmRSS')), peak: Math.round(field('VmHWM')) };
  } catch {
    return undefined;
  }
}

/** Runs one hostile case in its own probe window: its row carries the worst /healthz while it ran. */
async function hostileCase(
  context: ChaosContext,
  base: { scenario: string; finding: string },
  run: (stats: RequestStats, api: ChaosApi) => Promise<{ outcome: string; missed?: string[]; account?: Awaited<ReturnType<typeof settleJobs>>; details?: string[]; untimed?: boolean }>,
  options: { dedicatedPrefix?: string } = {},
): Promise<ChaosRow> {
  const stats = new RequestStats();
  await context.system.probe.quiet();
  // An API of its own for a case that may hold its event loop for minutes (killed afterwards),
  // so the cases after it are measured on an API that is not still busy with it.
  const dedicated = options.dedicatedPrefix
    ? await context.system.startApi(`api-${options.dedicatedPrefix}`, { QUEUE_PREFIX: `${context.system.prefix}-${options.dedicatedPrefix}` })
    : undefined;
  if (dedicated) {
    // Warm it up (first Redis reads, first route compilations) so the case measures itself alone.
    const warm = context.system.client(new RequestStats(), dedicated);
    for (let i = 0; i < 20 && (await warm.get('/v1/datasets')).status !== 200; i++) await new Promise((r) => setTimeout(r, 250));
    await context.system.probe.quiet();
  }
  const window = context.system.probe.window();
  try {
    const result = await run(stats, dedicated ?? context.system.api);
    const row = rowFrom({ ...base, faults: 1, outcome: result.outcome, missed: result.missed ?? [], details: result.details }, result.account, stats, window.end());
    return result.untimed ? { ...row, worstRequestMs: null } : row;
  } catch (error) {
    const row = rowFrom(
      { ...base, faults: 1, outcome: 'scenario error', missed: [`scenario error: ${error instanceof Error ? error.message : String(error)}`] },
      undefined,
      stats,
      window.end(),
    );
    return row;
  } finally {
    if (dedicated) await context.system.stopApi(dedicated, 'SIGKILL');
  }
}

const statusOutcome = (status: number, ms: number, text: string) =>
  `${status || 'no answer'} in ${Math.round(ms)} ms${status >= 400 ? `: ${String(JSON.parse(text || '{}')?.message ?? '').slice(0, 140)}` : ''}`;
const safeStatusOutcome = (status: number, ms: number, text: string) => {
  try {
    return statusOutcome(status, ms, text);
  } catch {
    return `${status} in ${Math.round(ms)} ms`;
  }
};

/** A training the issue found to exhaust a worker must be refused (400 with an estimate); sent where no worker runs it. */
async function oversized(context: ChaosContext, label: string, payload: Record<string, unknown>): Promise<ChaosRow> {
  return hostileCase(context, { scenario: `oversized training: ${label}`, finding: 'window 365 / horizon 365 training, larger text/chatbot sizes at their maxima' }, async (stats) => {
    const idle = context.system.client(stats, context.system.idleApi);
    const answer = await idle.post('/v1/train', payload);
    if (answer.status === 202) {
      await idle.request('DELETE', `/v1/jobs/${answer.json.jobId}`);
      if (context.scale.runOversizedTrainings && label.startsWith('price')) return runOversized(context, stats, payload);
      return { outcome: `accepted (202); cancelled unrun at ${context.scale.scale} scale`, missed: ['accepted a training the issue found to exhaust a worker (no memory estimate)'] };
    }
    return { outcome: safeStatusOutcome(answer.status, answer.ms, answer.text), missed: answer.status === 400 ? [] : [`answered ${answer.status}, not a 400 with an estimate`] };
  });
}

/** Full scale: run the accepted oversized training on the real workers, then check they still train. */
async function runOversized(context: ChaosContext, stats: RequestStats, payload: Record<string, unknown>) {
  const client = context.system.client(stats);
  const answer = await client.post('/v1/train', payload);
  const account = await settleJobs(context.system, client, [{ id: answer.json.jobId, type: 'job' }], context.scale.settleMs);
  const view = account.views.get(answer.json.jobId);
  const after = await client.post('/v1/train', { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 10, units1: 4, units2: 4, epochs: 1 } });
  const next = await settleJobs(context.system, client, [{ id: after.json.jobId, type: 'job' }], 120_000);
  const nextState = next.views.get(after.json.jobId)?.state;
  return {
    outcome: `accepted and run: ${view?.state} (${view?.error ?? ''}); a small training afterwards ${nextState}`,
    missed: ['accepted a training the issue found to exhaust a worker', ...(nextState === 'completed' ? [] : ['workers could not train afterwards'])],
    untimed: true,
  };
}

async function uploadHeader(context: ChaosContext): Promise<ChaosRow> {
  const stars = context.scale.headerStars;
  return hostileCase(
    context,
    { scenario: `CSV header of ${stars.toLocaleString('en-US')} * and one more character`, finding: 'CSV header of 40,000/80,000/160,000 * (quadratic regex)' },
    async (stats, api) => {
      const client = context.system.client(stats, api);
      const answer = await client.request('POST', '/v1/datasets?name=stars.csv', { raw: `${'*'.repeat(stars)}x\n1\n`, headers: { 'content-type': 'text/csv' } });
      return { outcome: safeStatusOutcome(answer.status, answer.ms, answer.text), missed: answer.status >= 400 && answer.status < 500 ? [] : [`answered ${answer.status}, not a 4xx`] };
    },
    { dedicatedPrefix: 'header' },
  );
}

async function batchChild365(context: ChaosContext): Promise<ChaosRow> {
  return hostileCase(context, { scenario: 'batch child with window 365, horizon 365', finding: 'a batch child with window 365 and horizon 365 (lock lost)' }, async (stats) => {
    const client = context.system.client(stats);
    const answer = await client.post('/v1/batches', {
      dataset: 'crypto-top100',
      series: ['Bitcoin'],
      architecture: 'lstm',
      params: { window: 365, units1: 8, units2: 8, epochs: 1, batchSize: 256 },
      horizon: 365,
    });
    if (answer.status !== 202) return { outcome: safeStatusOutcome(answer.status, answer.ms, answer.text), missed: answer.status === 400 ? [] : [`answered ${answer.status}`] };
    const account = await settleJobs(context.system, client, [{ id: answer.json.batchId, type: 'batch' }], context.scale.scale === 'ci' ? 150_000 : context.scale.settleMs);
    const child = account.views.get(answer.json.batchId)?.series?.[0];
    if (child && !['completed', 'failed', 'cancelled'].includes(child.state)) {
      // Still running: free the worker it holds so the run can end (it is the last case).
      const holder = context.system.holderOf(child.jobId);
      if (holder) await context.system.stopWorker(holder, 'SIGKILL');
    }
    // Failed by the crash alone (a lost lock, a stall, a broken heap), not a refusal of the input.
    const crashLike = /stall|lock|transient|ECONN|connection|memory access|out of memory/i;
    const failed = account.failed.filter((f) => crashLike.test(f));
    return { outcome: `accepted; child ${child?.state}${child?.error ? ` (${child.error})` : ''}`, account: { ...account, failed, submitted: 2 } };
  });
}

async function validationSplit(context: ChaosContext): Promise<ChaosRow> {
  return hostileCase(
    context,
    { scenario: 'text-generator training with validationSplit 1e-8', finding: 'a text-generator training with validationSplit 1e-8 (pre-check loop)' },
    async (stats, api) => {
      // Its own prefix: no worker runs what it accepts.
      const client = context.system.client(stats, api);
      const answer = await client.post('/v1/train', { kind: 'textgen', dataset: 'tinyshakespeare', params: { validationSplit: 1e-8 } }, { timeoutMs: 60_000 });
      return { outcome: safeStatusOutcome(answer.status, answer.ms, answer.text), missed: answer.status >= 500 || answer.status === 0 ? [`answered ${answer.status || 'nothing'}`] : [] };
    },
    { dedicatedPrefix: 'split' },
  );
}

async function nonFinite(context: ChaosContext): Promise<ChaosRow> {
  return hostileCase(
    context,
    { scenario: 'non-finite numbers and broken multipart', finding: 'limit/offset Infinity, 1e309; "Infinity" in predict fields; truncated multipart; multipart without boundary' },
    async (stats) => {
      const client = context.system.client(stats);
      const model = await context.fixtures.priceModel();
      const cases: Array<[string, () => Promise<{ status: number }>]> = [];
      for (const route of ['/v1/jobs', '/v1/models']) {
        for (const value of ['Infinity', '-Infinity', '1e309', 'NaN', '-1', '1.5']) {
          for (const param of ['limit', 'offset']) cases.push([`GET ${route}?${param}=${value}`, () => client.get(`${route}?${param}=${value}`)]);
        }
      }
      for (const field of ['horizon']) {
        for (const value of ['"Infinity"', '"1e309"', '1e309', '"NaN"', '-1e309']) {
          cases.push([
            `POST /v1/predict {${field}: ${value}}`,
            () => client.request('POST', '/v1/predict', { raw: `{"model":${JSON.stringify(model)},"${field}":${value}}`, headers: { 'content-type': 'application/json' } }),
          ]);
        }
      }
      for (const value of ['"Infinity"', '1e309', '"1e3"']) {
        cases.push([
          `POST /v1/predict {history: [${value}, …]}`,
          () =>
            client.request('POST', '/v1/predict', {
              raw: `{"model":${JSON.stringify(model)},"horizon":2,"history":[${Array(60).fill(value).join(',')}]}`,
              headers: { 'content-type': 'application/json' },
            }),
        ]);
        cases.push([
          `POST /v1/train {params.learningRate: ${value}}`,
          () =>
            client.request('POST', '/v1/train', {
              raw: `{"kind":"price","dataset":"crypto-top100","series":"Bitcoin","params":{"learningRate":${value}}}`,
              headers: { 'content-type': 'application/json' },
            }),
        ]);
      }
      const part = '--b\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\ncontent-type: text/csv\r\n\r\nDate,Close\n';
      cases.push([
        'POST /v1/datasets multipart without boundary',
        () => client.request('POST', '/v1/datasets', { raw: `${part}\r\n--b--\r\n`, headers: { 'content-type': 'multipart/form-data' } }),
      ]);
      cases.push(['POST /v1/datasets truncated multipart', () => client.request('POST', '/v1/datasets', { raw: part, headers: { 'content-type': 'multipart/form-data; boundary=b' } })]);
      const wrong: string[] = [];
      for (const [what, send] of cases) {
        const { status } = await send();
        if (status < 400 || status >= 500) wrong.push(`${status} ${what}`);
      }
      return { outcome: `${cases.length - wrong.length}/${cases.length} answered 4xx`, missed: wrong.length ? [`${wrong.length} not a 4xx`] : [], details: wrong };
    },
  );
}

async function deepListing(context: ChaosContext): Promise<ChaosRow> {
  const { system, scale } = context;
  const count = scale.retainedJobs;
  const prefix = `${system.prefix}-listing`;
  const connection = new Redis(system.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('train', { connection, prefix });
  try {
    for (let i = 0; i < count; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({
          name: 'train',
          data: { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 10 } },
          opts: { jobId: `tr_chaos${i + j}` },
        })),
      );
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return hostileCase(
    context,
    { scenario: `${scale.parallelListings} × GET /v1/jobs?offset=100000 with ${count.toLocaleString('en-US')} retained jobs`, finding: 'GET /v1/jobs?offset=100000 with many retained jobs' },
    async (stats, api) => {
      const client = system.client(stats, api);
      const before = await memoryMiB(api.process.child.pid);
      const answers = await Promise.all(Array.from({ length: scale.parallelListings }, () => client.get('/v1/jobs?offset=100000')));
      const after = await memoryMiB(api.process.child.pid);
      const statuses = [...new Set(answers.map((a) => a.status))].join(', ');
      return {
        outcome: `statuses ${statuses}; slowest ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms; API RSS ${before?.rss ?? '?'} → ${after?.rss ?? '?'} MiB (peak ${after?.peak ?? '?'})`,
      };
    },
    { dedicatedPrefix: 'listing' },
  );
}

async function zipBomb(context: ChaosContext): Promise<ChaosRow> {
  const mib = context.scale.zipInflatedMiB;
  const inflated = Buffer.alloc(mib * 1024 * 1024, 0x20);
  Buffer.from('{"participants":[{"name":"A"},{"name":"B"}],"messages":[').copy(inflated, 0);
  Buffer.from(']}').copy(inflated, inflated.length - 2);
  const zip = Buffer.from(zipSync({ 'messages/inbox/a_1/message_1.json': inflated }, { level: 9 }));
  return hostileCase(
    context,
    { scenario: `${Math.round(zip.length / 1024)} KiB zip inflating to ${mib} MiB (messenger upload)`, finding: 'a 400 KB Messenger zip that inflates to 400 MiB' },
    async (stats, api) => {
      const client = context.system.client(stats, api);
      const pid = api.process.child.pid;
      const before = await memoryMiB(pid);
      const answer = await client.request('POST', '/v1/datasets?kind=messenger&owner=A', { raw: zip, headers: { 'content-type': 'application/zip' } });
      const after = await memoryMiB(pid);
      const grew = before && after ? after.peak - before.peak : 0;
      const missed = [
        ...(answer.status >= 500 || answer.status === 0 ? [`answered ${answer.status}`] : []),
        ...(grew > mib / 2 ? [`API peak memory grew ${grew} MiB: the archive was inflated in memory`] : []),
      ];
      return { outcome: `${safeStatusOutcome(answer.status, answer.ms, answer.text)}; API peak RSS ${before?.peak ?? '?'} → ${after?.peak ?? '?'} MiB`, missed };
    },
    { dedicatedPrefix: 'zip' },
  );
}

/** The hostile inputs of the issue's findings, each with its outcome and the worst /healthz while it ran. */
export const hostile: Scenario = {
  name: 'hostile',
  async run(context) {
    const rows: ChaosRow[] = [];
    rows.push(await uploadHeader(context));
    rows.push(
      await oversized(context, 'price LSTM window 365, horizon 365', {
        kind: 'price',
        architecture: 'lstm',
        dataset: 'crypto-top100',
        series: 'Bitcoin',
        params: { window: 365, epochs: 1 },
        horizon: 365,
      }),
    );
    rows.push(
      await oversized(context, 'text generator at its maxima', {
        kind: 'textgen',
        dataset: 'tinyshakespeare',
        params: { layers: 3, units: 1024, seqLength: 200, batchSize: 1024, epochs: 1 },
      }),
    );
    rows.push(
      await oversized(context, 'chatbot at its maxima', {
        kind: 'seq2seq',
        dataset: 'tinyshakespeare-dialogue',
        params: { embeddingSize: 1024, units: 1024, maxVocabulary: 50_000, maxInputLength: 100, maxReplyLength: 100, batchSize: 1024, epochs: 1 },
      }),
    );
    rows.push(await nonFinite(context));
    rows.push(await validationSplit(context));
    rows.push(await deepListing(context));
    rows.push(await zipBomb(context));
    // Last: where forecasts do not yield it holds its worker for minutes.
    rows.push(await batchChild365(context));
    return rows;
  },
};
