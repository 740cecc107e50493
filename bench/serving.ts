// `npm run bench` section `serving`: this system's prediction path beside its peers, in one run on
// one machine (`../shared/peers`, described in its README): raw BullMQ (the floor of our stack),
// Celery, and Celery + PyTorch serving the talk's LSTM, then ours through `npm start` over HTTP.
// Then, on a system of its own: a bare Fastify route (what HTTP and the client cost here), text
// generation and chatbot replies over HTTP. Prints one table, ours as ratios to the peers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { smallTalkPairs } from '@mlq/models';
import { freePort, startRedisServer } from '../test/harness/redis.ts';
import { repoRoot } from '../test/harness/processes.ts';

export interface ServingBenchOptions {
  quick: boolean;
}

/** What one line of the peers' scripts reports: `<path> throughput: N unit/s …` or `<path> round trip: p50 … ms, p95 … ms, p99 … ms`. */
export interface PathFigures {
  throughput?: number;
  unit?: string;
  p50?: number;
  p95?: number;
  p99?: number;
}

const PEERS = path.resolve(repoRoot, '../shared/peers');
const PYTHON = '/usr/bin/python3';
const PYTHON_PACKAGES = 'python3-celery python3-redis python3-torch libopenblas0-pthread';
/** The ports `side_by_side.sh` uses (and so does its stand-in below). */
const PEER_REDIS_PORT = 6390;
const OURS_PORT = 3320;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Figures by path name, from the peers' output lines (`bullmq`, `celery`, `celery+torch forecast(10)`, `ours sbs-linear horizon 1`, …). */
export function parsePeerFigures(output: string): Map<string, PathFigures> {
  const figures = new Map<string, PathFigures>();
  const entry = (name: string) => figures.get(name) ?? figures.set(name, {}).get(name)!;
  for (const line of output.split('\n')) {
    const throughput = /^(.+?) throughput: ([\d.]+) (\S+?)\/s\b/.exec(line);
    if (throughput) Object.assign(entry(throughput[1]!), { throughput: Number(throughput[2]), unit: throughput[3] });
    const latency = /^(.+?) round trip: p50 ([\d.]+) ms, p95 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(line);
    if (latency) Object.assign(entry(latency[1]!), { p50: Number(latency[2]), p95: Number(latency[3]), p99: Number(latency[4]) });
  }
  return figures;
}

const pythonPeersInstalled = () => spawnSync(PYTHON, ['-c', 'import torch, celery, redis'], { stdio: 'ignore' }).status === 0;

async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * Runs a command in a process group of its own, echoing its output indented, and resolves with
 * stdout and stderr together. Past `timeoutMs` the group is stopped (a peer script that hangs,
 * as `bullmq_bench.mjs` once did waiting for an event, must not hang the bench) and what it printed
 * so far is returned.
 */
function runEchoed(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const echo = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      process.stdout.write(text.replace(/^(?=.)/gm, '  │ '));
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    const timer = setTimeout(() => {
      console.log(`  │ (${path.basename(args[0] ?? command)} still running after ${options.timeoutMs / 1000} s: stopped)`);
      void stopGroup(child);
    }, options.timeoutMs);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

/** Starts a process in a group of its own, so that it and its children stop together. */
function startGroup(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd, env, detached: true, stdio: 'ignore' });
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
}

async function waitForReady(base: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(500);
  }
  throw new Error(`${base} did not become ready`);
}

/** The peers' node scripts in a directory of their own that resolves `bullmq` from the checkout, as `side_by_side.sh` sets them up. */
function peerScriptsDir(checkout: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlq-serving-'));
  for (const file of ['bullmq_worker.mjs', 'bullmq_bench.mjs', 'http_bench.mjs']) copyFileSync(path.join(PEERS, file), path.join(dir, file));
  symlinkSync(path.join(checkout, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/**
 * `side_by_side.sh`'s raw BullMQ and ours parts, for a machine without the Python peers (or a
 * quick run): the same Redis flags and ports, the same peer scripts, `npm start` the same way.
 */
async function runWithoutPython(checkout: string, quick: boolean): Promise<string> {
  const redis = startGroup('redis-server', ['--port', String(PEER_REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], checkout, process.env);
  const dir = peerScriptsDir(checkout);
  let output = '';
  const groups: ChildProcess[] = [];
  try {
    await sleep(500);
    spawnSync('redis-cli', ['-p', String(PEER_REDIS_PORT), 'flushall'], { stdio: 'ignore' });
    console.log('  │ == raw BullMQ (trivial job, worker concurrency 50)');
    const worker = startGroup(process.execPath, ['bullmq_worker.mjs', '50'], dir, process.env);
    groups.push(worker);
    await sleep(1000);
    output += await runEchoed(process.execPath, ['bullmq_bench.mjs', quick ? '1000' : '5000'], { cwd: dir, timeoutMs: 180_000 });
    await stopGroup(worker);
    console.log('  │ == ours: npm start (API + 1 worker) on the same Redis');
    const env = {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${PEER_REDIS_PORT}`,
      PORT: String(OURS_PORT),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    const ours = startGroup('npm', ['start'], checkout, env);
    groups.push(ours);
    await waitForReady(`http://127.0.0.1:${OURS_PORT}`);
    const n = quick ? '30' : '300';
    output += await runEchoed(process.execPath, ['http_bench.mjs', `http://127.0.0.1:${OURS_PORT}`, 'linear', '1', n, '32'], { cwd: dir, timeoutMs: 600_000 });
    output += await runEchoed(process.execPath, ['http_bench.mjs', `http://127.0.0.1:${OURS_PORT}`, 'lstm', '10', quick ? '5' : n, '32'], { cwd: dir, timeoutMs: 1_200_000 });
  } finally {
    for (const group of groups) await stopGroup(group);
    await stopGroup(redis);
    rmSync(dir, { recursive: true, force: true });
  }
  return output;
}

/** Latency of `count` requests one after another, then throughput of `4 × count` with `inFlight` at once: what `http_bench.mjs` measures. */
export async function measureRequests(send: () => Promise<void>, count: number, inFlight: number): Promise<PathFigures> {
  await send();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (f: number) => Number(latencies[Math.floor(f * (latencies.length - 1))]!.toFixed(2));
  const total = count * 4;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await send();
    }),
  );
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), throughput: Math.round(total / ((performance.now() - started) / 1000)) };
}

async function postJson(base: string, url: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function trainAndWait(base: string, payload: Record<string, unknown>): Promise<void> {
  const accepted = await postJson(base, '/v1/train', payload);
  if (accepted.status !== 202) throw new Error(`training not accepted: ${accepted.status} ${JSON.stringify(accepted.json)}`);
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${accepted.json.jobId}`)).json()) as any;
    if (job.state === 'completed') return;
    if (job.state === 'failed') throw new Error(`training failed: ${job.error}`);
    await sleep(500);
  }
}

/** A prediction with `?wait=30` that must complete. */
const predictOnce = (base: string, body: unknown) => async () => {
  const answer = await postJson(base, '/v1/predict?wait=30', body);
  if (answer.status !== 200 || answer.json.state !== 'completed') throw new Error(`prediction: ${answer.status} ${JSON.stringify(answer.json).slice(0, 200)}`);
};

/** A bare Fastify route answering a constant, measured as ours is: what HTTP and the client alone cost on this machine now. */
async function measureHttpFloor(quick: boolean): Promise<PathFigures> {
  const port = await freePort();
  const server = startGroup(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/http-floor-server.ts'), String(port)], repoRoot, process.env);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForReady(base, 30_000);
    const send = async () => {
      const response = await fetch(`${base}/v1/predict?wait=30`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"sbs-linear","horizon":1}' });
      await response.json();
    };
    return await measureRequests(send, quick ? 30 : 300, 32);
  } finally {
    await stopGroup(server);
  }
}

/**
 * Text generation (a tiny GRU trained on an excerpt of tiny Shakespeare, 50 characters) and chat
 * replies (a tiny seq2seq trained on 28 small-talk pairs, greedy) over HTTP, 8 requests in flight,
 * `npm start` on a Redis of its own.
 */
async function measureGeneration(checkout: string, quick: boolean): Promise<Map<string, PathFigures>> {
  const figures = new Map<string, PathFigures>();
  const redis = await startRedisServer();
  const storeDir = mkdtempSync(path.join(tmpdir(), 'mlq-serving-store-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    PORT: String(port),
    METRICS_PORT: '0',
    MODEL_STORE_DIR: storeDir,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const ours = startGroup('npm', ['start'], checkout, env);
  const count = quick ? 5 : 30;
  try {
    await waitForReady(base);
    const corpus = readFileSync(path.join(repoRoot, 'packages/models/src/textgen/fixtures/tiny-shakespeare-excerpt.txt'), 'utf8');
    const text = await postJson(base, '/v1/datasets?kind=text&name=excerpt.txt', corpus, 'text/plain');
    const pairs = await postJson(base, '/v1/datasets?kind=pairs&name=smalltalk.json', JSON.stringify(smallTalkPairs));
    await trainAndWait(base, {
      kind: 'textgen',
      dataset: text.json.id,
      name: 'bench-text',
      params: { units: 32, seqLength: 24, batchSize: 32, epochs: 1, learningRate: 0.01 },
      seed: 1,
      sampleLength: 0,
    });
    await trainAndWait(base, {
      kind: 'seq2seq',
      dataset: pairs.json.id,
      name: 'bench-chat',
      params: { embeddingSize: 16, units: 64, epochs: 40, batchSize: 8, learningRate: 0.02, dropout: 0, validationSplit: 0, maxInputLength: 10, maxReplyLength: 10 },
      seed: 1,
    });
    figures.set('ours textgen', await measureRequests(predictOnce(base, { model: 'bench-text', seedText: 'ROMEO:', length: 50, randomSeed: 1 }), count, 8));
    figures.set('ours chat', await measureRequests(predictOnce(base, { model: 'bench-chat', message: 'where are you?' }), count, 8));
  } finally {
    await stopGroup(ours);
    await redis.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
  return figures;
}

const fixed = (value: number | undefined, digits = 2) => (value === undefined ? 'n/a' : value.toFixed(digits));
const rate = (f: PathFigures | undefined) => (f?.throughput === undefined ? 'n/a' : `${f.throughput.toLocaleString('en-US')}/s`);
const ratio = (ours: number | undefined, peer: number | undefined) => (ours === undefined || peer === undefined || peer === 0 ? 'n/a' : `${(ours / peer).toFixed(2)}×`);

/** The table: each path's throughput and p50/p99; ours as ratios to raw BullMQ (trivial path) and to Celery + PyTorch (the LSTM). */
export function servingTable(figures: Map<string, PathFigures>): string {
  const bullmq = figures.get('bullmq');
  const torch = figures.get('celery+torch forecast(10)');
  const rows: Array<[string, PathFigures | undefined, string]> = [
    ['raw BullMQ, trivial job (concurrency 50)', bullmq, ''],
    ['Celery, trivial task', figures.get('celery'), ''],
    [
      'ours, linear model, horizon 1, HTTP `?wait`',
      figures.get('ours sbs-linear horizon 1'),
      `vs raw BullMQ: throughput ${ratio(figures.get('ours sbs-linear horizon 1')?.throughput, bullmq?.throughput)}, p50 ${ratio(figures.get('ours sbs-linear horizon 1')?.p50, bullmq?.p50)}`,
    ],
    ['Celery + PyTorch, talk’s LSTM, 10-day forecast', torch, ''],
    [
      'ours, talk’s LSTM, 10-day forecast, HTTP `?wait`',
      figures.get('ours sbs-lstm horizon 10'),
      `vs Celery + PyTorch: throughput ${ratio(figures.get('ours sbs-lstm horizon 10')?.throughput, torch?.throughput)}, p50 ${ratio(figures.get('ours sbs-lstm horizon 10')?.p50, torch?.p50)}`,
    ],
    ['bare Fastify route, constant answer (HTTP + client floor)', figures.get('http floor'), '32 in flight'],
    ['ours, text generation, 50 characters, HTTP `?wait`', figures.get('ours textgen'), '8 in flight'],
    ['ours, chatbot reply (greedy), HTTP `?wait`', figures.get('ours chat'), '8 in flight'],
  ];
  const lines = ['| path | throughput | p50 / p99 (ms) | note |', '|---|---|---|---|'];
  for (const [name, f, note] of rows) if (f) lines.push(`| ${name} | ${rate(f)} | ${fixed(f.p50)} / ${fixed(f.p99)} | ${note} |`);
  const linear = figures.get('ours sbs-linear horizon 1');
  if (linear?.p50 !== undefined && bullmq?.p50 !== undefined && bullmq.throughput !== undefined && linear.throughput !== undefined) {
    const p50Met = linear.p50 <= bullmq.p50 + 1 ? 'met' : 'not met';
    const throughputMet = linear.throughput >= 0.5 * bullmq.throughput ? 'met' : 'not met';
    lines.push(
      '',
      `trivial path goals: p50 ${fixed(linear.p50)} ms ≤ raw BullMQ's ${fixed(bullmq.p50)} + 1 ms: ${p50Met}; ` +
        `throughput ${ratio(linear.throughput, bullmq.throughput)} raw BullMQ's (goal ≥ 0.5×): ${throughputMet}`,
    );
  }
  return lines.join('\n');
}

export async function benchServing({ quick }: ServingBenchOptions): Promise<void> {
  // BENCH_CHECKOUT measures another checkout of this project (another branch's worktree, `npm ci` done) with this bench.
  const checkout = path.resolve(process.env.BENCH_CHECKOUT ?? repoRoot);
  console.log(`\nserving — side by side in one run (${checkout}):`);
  let output = '';
  if (!existsSync(path.join(PEERS, 'side_by_side.sh'))) {
    console.log(`  the peers are not at ${PEERS}; skipping the side-by-side part`);
  } else if ((await portInUse(PEER_REDIS_PORT)) || (await portInUse(OURS_PORT))) {
    console.log(`  port ${PEER_REDIS_PORT} or ${OURS_PORT} is taken (another side-by-side run?); skipping the side-by-side part`);
  } else if (!pythonPeersInstalled()) {
    console.log(`  the Python peers (Celery, PyTorch) are not installed: apt-get install -y ${PYTHON_PACKAGES}; running raw BullMQ and ours only`);
    output = await runWithoutPython(checkout, quick);
  } else if (quick) {
    console.log('  quick run: raw BullMQ and ours only, shrunk (Celery and PyTorch need the full run)');
    output = await runWithoutPython(checkout, quick);
  } else {
    // Its LSTM part alone took about 3 minutes with tfjs' own layers; 30 minutes means a hang.
    output = await runEchoed('bash', [path.join(PEERS, 'side_by_side.sh'), checkout], { cwd: checkout, timeoutMs: 30 * 60_000 });
  }
  const figures = parsePeerFigures(output);
  figures.set('http floor', await measureHttpFloor(quick));
  for (const [name, f] of await measureGeneration(checkout, quick)) figures.set(name, f);
  console.log(`\n${servingTable(figures)}`);
}
