import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { HttpClient, RequestStats } from '../http.ts';
import { operations, type OpenApiDocument } from '../openapi-fuzz.ts';
import { rowFrom, type ChaosRow } from '../report.ts';
import type { ChaosContext, Scenario } from '../context.ts';

const BOARD = '/admin/queues';
const keys = { admin: 'chaos-admin-key-5f1c9a7e2b', submit: 'chaos-submit-key-8d3e0c4a61', read: 'chaos-read-key-2a9b7f5d0e3c' };
/** `scope:key`, the scoped form of API_KEYS. */
const apiKeys = Object.entries(keys)
  .map(([scope, key]) => `${scope}:${key}`)
  .join(',');

interface Probe {
  method: string;
  path: string;
  /** Where the path came from: `GET /v1/jobs/{id}`, `PUT board /api/queues/:queueName/pause`. */
  route: string;
  board: boolean;
  body?: string;
  contentType?: string;
}

/** The dashboard's routes as Bull Board declares them (its page routes and its JSON API). */
function boardRoutes(): Array<[string, string]> {
  const require = createRequire(import.meta.url);
  const { appRoutes } = require('@bull-board/api/dist/routes.js') as {
    appRoutes: { entryPoint: { route: string | string[] }; api: Array<{ method: string; route: string | string[] }> };
  };
  const pages = [appRoutes.entryPoint.route].flat().map((route): [string, string] => ['GET', route]);
  const api = appRoutes.api.flatMap((r) => [r.route].flat().map((route): [string, string] => [r.method.toUpperCase(), route]));
  return [...pages, ...api];
}

const fill = (template: string, jobId: string) =>
  template
    .replace(/\{id\}|:id\b/g, jobId)
    .replace(/:queueName\b/g, 'train')
    .replace(/:jobId\b/g, jobId)
    .replace(/:queueStatus\b/g, 'failed')
    .replace(/:schedulerId\b/g, 'x')
    .replace(/\{[^{}]+\}/g, 'x');

/** Bodies that pass validation, so a request that got past the key check shows as a 2xx, not a 400. */
const validBodies: Record<string, { body: string; contentType: string }> = {
  'POST /v1/train': {
    body: JSON.stringify({ kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 10, units1: 4, units2: 4, epochs: 1 }, horizon: 3 }),
    contentType: 'application/json',
  },
  'POST /v1/batches': {
    body: JSON.stringify({ dataset: 'crypto-top100', series: ['Bitcoin'], architecture: 'lstm', params: { window: 10, units1: 4, units2: 4, epochs: 1 } }),
    contentType: 'application/json',
  },
  'POST /v1/predict': { body: JSON.stringify({ model: 'none', horizon: 3 }), contentType: 'application/json' },
  'POST /v1/datasets': {
    body: 'Date,Close\n' + Array.from({ length: 60 }, (_, i) => `2017-0${1 + Math.floor(i / 28)}-${String(1 + (i % 28)).padStart(2, '0')},${100 + i}`).join('\n') + '\n',
    contentType: 'text/csv',
  },
};

function probes(doc: OpenApiDocument, jobId: string): Probe[] {
  const list: Probe[] = [];
  for (const [method, template] of operations(doc)) {
    if (!template.startsWith('/v1')) continue;
    const valid = validBodies[`${method} ${template}`];
    list.push({
      method,
      path: fill(template, jobId),
      route: `${method} ${template}`,
      board: false,
      body: valid?.body ?? (method === 'POST' ? '{}' : undefined),
      contentType: valid?.contentType ?? 'application/json',
    });
  }
  for (const [method, route] of boardRoutes()) {
    const path = `${BOARD}${route === '/' ? '' : fill(route, jobId)}`;
    list.push({ method, path, route: `${method} board ${route}`, board: true, body: method === 'GET' ? undefined : '{}', contentType: 'application/json' });
  }
  return list;
}

const encodeChar = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** The same path written the ways a router may decode but a text check may not. */
export function pathForms(path: string): Array<[string, string]> {
  const segments = path.split('/');
  const first = segments[1] ?? '';
  const rest = segments.slice(2).join('/');
  const withFirst = (segment: string) => `/${segment}${rest ? `/${rest}` : ''}`;
  const forms: Array<[string, string]> = [
    ['plain', path],
    ['one char encoded', withFirst(encodeChar(first[0] ?? 'v') + first.slice(1))],
    ['all encoded', withFirst([...first].map(encodeChar).join(''))],
    ['double-encoded', withFirst(`%25${encodeChar(first[0] ?? 'v').slice(1)}${first.slice(1)}`)],
    ['mixed case', withFirst(first.toUpperCase())],
    ['trailing slash', `${path}/`],
    ['double slash', `/${path}`],
  ];
  if (segments[2]) forms.push(['second segment encoded', `/${first}/${encodeChar(segments[2][0]!)}${segments.slice(2).join('/').slice(1)}`]);
  return forms;
}

interface ProbeResult {
  requests: number;
  bypasses: string[];
}

async function runProbes(
  client: HttpClient,
  list: Probe[],
  credentials: Array<[string, Record<string, string>]>,
  counts: (probe: Probe, credential: string) => boolean,
): Promise<ProbeResult> {
  const jobs: Array<() => Promise<void>> = [];
  const result: ProbeResult = { requests: 0, bypasses: [] };
  for (const probe of list) {
    for (const [form, path] of pathForms(probe.path)) {
      for (const [credential, headers] of credentials) {
        if (!counts(probe, credential)) continue;
        jobs.push(async () => {
          const answer = await client.request(probe.method, path, {
            raw: probe.body,
            headers: { ...headers, ...(probe.body !== undefined ? { 'content-type': probe.contentType ?? 'application/json' } : {}) },
            timeoutMs: 20_000,
          });
          result.requests++;
          if (answer.status >= 200 && answer.status < 400) result.bypasses.push(`${answer.status} ${probe.method} ${path} (${form}, ${credential}) [${probe.route}]`);
        });
      }
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
  return result;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` });

function nonLoopbackAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

async function keyedApi(context: ChaosContext): Promise<ChaosRow[]> {
  const { system } = context;
  const stats = new RequestStats();
  const api = await system.startApi('auth-api', { QUEUE_PREFIX: `${system.prefix}-auth`, API_KEYS: apiKeys });
  try {
    const client = system.client(new RequestStats(), api);
    // Which form the API takes keys in: the scoped one (`scope:key`, key after the colon) or the whole entry.
    const scoped = (await client.get('/v1/datasets', { headers: bearer(keys.admin) })).status === 200;
    const keyOf = (scope: keyof typeof keys) => (scoped ? keys[scope] : `${scope}:${keys[scope]}`);
    const missed: string[] = [];
    if (!scoped && (await client.get('/v1/datasets', { headers: bearer(keyOf('admin')) })).status !== 200) missed.push('the admin key was refused: the probe would prove nothing');
    if ((await client.get(BOARD + '/api/queues', { headers: basic(keyOf('admin')) })).status !== 200) missed.push('the admin key was refused by the dashboard');
    const submitted = await client.request('POST', '/v1/train', { raw: validBodies['POST /v1/train']!.body, headers: { ...bearer(keyOf('admin')), 'content-type': 'application/json' } });
    const jobId = submitted.status === 202 ? (submitted.json.jobId as string) : 'tr_none';
    const docs = (await client.get('/docs/json')).json as OpenApiDocument;
    const list = probes(docs, jobId);
    // The checks above warmed the new process up; the window measures the probes alone.
    const window = system.probe.window();
    const probeClient = system.client(stats, api);
    const wrong = 'chaos-wrong-key-000000000000';
    const anonymous = await runProbes(
      probeClient,
      list,
      [
        ['no key', {}],
        ['wrong bearer', bearer(wrong)],
        ['wrong basic', basic(wrong)],
      ],
      () => true,
    );
    // Scopes: only admin keys act on the dashboard; a read key submits nothing.
    const writes = (p: Probe) => p.method !== 'GET' && p.method !== 'HEAD';
    const scopedProbes = await runProbes(
      probeClient,
      list,
      [
        ['submit key', bearer(keyOf('submit'))],
        ['read key', bearer(keyOf('read'))],
      ],
      (probe, credential) => writes(probe) && (probe.board || credential === 'read key'),
    );
    const bypasses = [...anonymous.bypasses, ...scopedProbes.bypasses];
    const base = rowFrom(
      {
        scenario: `auth probes, API_KEYS in scope:key form (${list.length} routes × ${pathForms('/v1/x/y').length} forms)`,
        finding: 'API keys set; encoded paths served without a key; dashboard writable',
        faults: anonymous.requests + scopedProbes.requests,
        outcome: `keys read ${scoped ? 'as scope:key' : 'literally (no scopes)'}; ${anonymous.bypasses.length} served without a valid key, ${scopedProbes.bypasses.length} writes served to a read/submit key`,
        missed,
        details: bypasses.slice(0, 10),
      },
      undefined,
      stats,
      window.end(),
    );
    return [{ ...base, bypasses: bypasses.length }];
  } finally {
    await system.stopApi(api);
  }
}

async function keylessFromNetwork(context: ChaosContext): Promise<ChaosRow[]> {
  const { system } = context;
  const address = nonLoopbackAddress();
  const scenario = 'auth probes, no API_KEYS, from a non-loopback address';
  const finding = 'Defaults: no API keys, listening on 0.0.0.0, dashboard writable';
  if (!address) {
    return [
      {
        scenario,
        finding,
        faults: 0,
        jobs: 0,
        lost: 0,
        duplicated: 0,
        failed: 0,
        serverErrors: 0,
        bypasses: 0,
        worstProbeMs: null,
        worstRequestMs: null,
        outcome: 'skipped: this machine has no non-loopback IPv4 address',
        missed: [],
      },
    ];
  }
  const stats = new RequestStats();
  let api: Awaited<ReturnType<typeof system.startApi>>;
  try {
    api = await system.startApi('keyless-api', { QUEUE_PREFIX: `${system.prefix}-keyless`, HOST: '0.0.0.0', API_KEYS: '' });
  } catch (error) {
    // Refusing to serve a network address without keys is one secure answer.
    const why = error instanceof Error ? error.message.slice(0, 300) : String(error);
    return [
      {
        scenario,
        finding,
        faults: 1,
        jobs: 0,
        lost: 0,
        duplicated: 0,
        failed: 0,
        serverErrors: 0,
        bypasses: 0,
        worstProbeMs: null,
        worstRequestMs: null,
        outcome: `the API refused to start keyless on 0.0.0.0: ${why}`,
        missed: [],
      },
    ];
  }
  try {
    const port = new URL(api.url).port;
    const remote = new HttpClient(`http://${address}:${port}`, stats);
    const local = system.client(new RequestStats(), api);
    const localWorks = (await local.get('/v1/datasets')).status === 200;
    const docs = (await local.get('/docs/json')).json as OpenApiDocument;
    const list = probes(docs, 'tr_none');
    const window = system.probe.window();
    const result = await runProbes(remote, list, [['no key', {}]], () => true);
    const row = rowFrom(
      {
        scenario: `${scenario} (${address})`,
        finding,
        faults: result.requests,
        outcome: `${result.bypasses.length} of ${result.requests} served to ${address}; loopback client ${localWorks ? 'served' : 'refused'}`,
        missed: localWorks ? [] : ['a keyless API refused its loopback client'],
        details: result.bypasses.slice(0, 10),
      },
      undefined,
      stats,
      window.end(),
    );
    return [{ ...row, bypasses: result.bypasses.length }];
  } finally {
    await system.stopApi(api);
  }
}

/** Every OpenAPI and dashboard route, in every path form, without a key, with a wrong key, with too small a scope. */
export const auth: Scenario = {
  name: 'auth',
  async run(context) {
    return [...(await keyedApi(context)), ...(await keylessFromNetwork(context))];
  },
};
