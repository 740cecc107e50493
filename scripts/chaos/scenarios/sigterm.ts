import { smallTalkPairs } from '../../../packages/models/src/seq2seq/small-talk.ts';
import { RequestStats } from '../http.ts';
import { settleJobs, waitForJob } from '../jobs.ts';
import { rowFrom, type ChaosRow } from '../report.ts';
import { smallTextgen, type ChaosContext, type Scenario } from '../context.ts';

interface Family {
  kind: 'price' | 'textgen' | 'seq2seq';
  payload(context: ChaosContext, name: string): Promise<Record<string, unknown>>;
  /** Far enough into the training that a checkpoint could exist. */
  ready(progress: any): boolean;
  /** Where the training was when it was released, in its own unit. */
  position(progress: any): string;
}

let pairsDataset: Promise<string> | undefined;

const families: Family[] = [
  {
    kind: 'price',
    payload: async (_context, name) => ({
      kind: 'price',
      architecture: 'lstm',
      dataset: 'crypto-top100',
      series: 'Ethereum',
      name,
      params: { window: 10, units1: 8, units2: 8, epochs: 12, batchSize: 16 },
    }),
    ready: (p) => (p?.epoch ?? 0) >= 2,
    position: (p) => `epoch ${p?.epoch}`,
  },
  {
    kind: 'textgen',
    payload: async (context, name) => ({
      kind: 'textgen',
      dataset: await context.fixtures.textDataset(),
      name,
      params: { ...smallTextgen, epochs: 12, checkpointEverySteps: 10 },
      seed: 2,
      sampleLength: 0,
    }),
    ready: (p) => (p?.step ?? 0) >= 20,
    position: (p) => `step ${p?.step}`,
  },
  {
    kind: 'seq2seq',
    payload: async (context, name) => {
      pairsDataset ??= context.system
        .client(new RequestStats())
        .request('POST', '/v1/datasets?kind=pairs&name=smalltalk.json', { raw: JSON.stringify(smallTalkPairs), headers: { 'content-type': 'application/json' } })
        .then((answer) => {
          if (answer.status !== 201) throw new Error(`pairs upload: ${answer.status} ${answer.text.slice(0, 200)}`);
          return answer.json.id as string;
        });
      return {
        kind: 'seq2seq',
        dataset: await pairsDataset,
        name,
        params: { embeddingSize: 16, units: 32, epochs: 40, batchSize: 4, learningRate: 0.02, dropout: 0, validationSplit: 0, maxInputLength: 10, maxReplyLength: 10 },
        seed: 1,
      };
    },
    ready: (p) => (p?.epoch ?? 0) >= 8,
    position: (p) => `epoch ${p?.epoch}`,
  },
];

/** The first `resumedFrom…` figure a result or progress carries (textgen: resumedFromStep). */
function resumedFrom(view: any): string | undefined {
  for (const source of [view?.result, view?.progress]) {
    if (!source || typeof source !== 'object') continue;
    for (const [key, value] of Object.entries(source)) {
      if (key.startsWith('resumedFrom') && value !== null && value !== undefined)
        return `${key.slice('resumedFrom'.length).toLowerCase()} ${typeof value === 'object' ? JSON.stringify(value) : value}`;
    }
  }
  return undefined;
}

async function sigtermDuring(context: ChaosContext, family: Family, index: number): Promise<ChaosRow> {
  const { system, scale } = context;
  const stats = new RequestStats();
  const window = system.probe.window();
  const client = system.client(stats);
  const name = `chaos-sigterm-${family.kind}-${index}-${Date.now()}`;
  const answer = await client.post('/v1/train', await family.payload(context, name));
  if (answer.status !== 202) throw new Error(`POST /v1/train (${family.kind}): ${answer.status} ${answer.text.slice(0, 300)}`);
  const jobId = answer.json.jobId as string;
  const running = await waitForJob(client, jobId, (v) => ['completed', 'failed', 'cancelled'].includes(v.state) || (v.state === 'active' && family.ready(v.progress)), 120_000);
  const holder = system.holderOf(jobId);
  const missed: string[] = [];
  let released = 'not released';
  let faults = 0;
  if (running?.state === 'active' && holder) {
    const started = Date.now();
    await system.stopWorker(holder, 'SIGTERM');
    const code = await holder.process.exited;
    faults = 1;
    const after = (await client.get(`/v1/jobs/${jobId}`)).json;
    released = `released at ${family.position(after?.progress ?? running.progress)} in ${Date.now() - started} ms (exit ${code})`;
    if (code !== 0) missed.push(`worker exited ${code} on SIGTERM`);
    await system.startWorker();
  } else {
    missed.push(`the training was not caught running (state ${running?.state})`);
  }
  const account = await settleJobs(system, client, [{ id: jobId, type: 'job', uniqueName: name }], scale.settleMs);
  const view = account.views.get(jobId);
  const resumed = resumedFrom(view);
  const finishers = system
    .workerLogs()
    .filter((l) => l.msg === 'job completed' && l.jobId === jobId)
    .map((l) => l.worker);
  // A training that ended within the grace period was never released: the scenario proved nothing.
  if (holder && finishers.includes(holder.name)) missed.push('finished within the grace period on the stopped worker: nothing was released (lengthen the training)');
  if (faults > 0 && view?.state === 'completed' && !(holder && finishers.includes(holder.name)) && (resumed === undefined || /\b0$/.test(resumed)))
    missed.push('restarted from scratch, not from a checkpoint');
  return rowFrom(
    {
      scenario: `SIGTERM during ${family.kind} training`,
      finding: 'SIGTERM of a worker during a training',
      faults,
      resumedFrom: resumed ?? 'scratch',
      outcome: `${view?.state ?? 'unknown'}${finishers.length ? ` on ${finishers.join(', ')}` : ''}; ${released}`,
      missed,
    },
    account,
    stats,
    window.end(),
  );
}

/** SIGTERM of the worker running each family's training (short SHUTDOWN_GRACE_MS); another worker finishes it. */
export const sigterm: Scenario = {
  name: 'sigterm',
  async run(context) {
    const rows: ChaosRow[] = [];
    for (const [i, family] of families.entries()) rows.push(await sigtermDuring(context, family, i));
    return rows;
  },
};
