import { RequestStats } from '../http.ts';
import { settleJobs, type TrackedJob } from '../jobs.ts';
import { rowFrom, type ChaosRow } from '../report.ts';
import { sleep, type ChaosContext, type Scenario } from '../context.ts';
import { readServerSentEvents } from '../../../test/harness/sse.ts';

/** N concurrent `POST /v1/predict?wait=30`: every one answered 200 (or 202 to poll), none 5xx. */
async function concurrentPredictions(context: ChaosContext): Promise<ChaosRow> {
  const { system, scale } = context;
  const model = await context.fixtures.priceModel();
  const stats = new RequestStats();
  const window = system.probe.window();
  const client = system.client(stats);
  const tracked: TrackedJob[] = [];
  const statuses = await Promise.all(
    Array.from({ length: scale.concurrentPredictions }, async (_, i) => {
      const answer = await client.post('/v1/predict?wait=30', { model, horizon: 1 + (i % 10) }, { untimed: true, timeoutMs: 90_000 });
      const id = answer.json?.id ?? answer.json?.jobId;
      if ((answer.status === 200 || answer.status === 202) && typeof id === 'string') tracked.push({ id, type: 'job' });
      return answer.status;
    }),
  );
  const account = await settleJobs(system, client, tracked, scale.settleMs);
  const ok = statuses.filter((s) => s === 200).length;
  const other = statuses.filter((s) => s !== 200 && s !== 202);
  return rowFrom(
    {
      scenario: `${scale.concurrentPredictions} concurrent POST /v1/predict?wait=30`,
      finding: '500 concurrent POST /v1/predict?wait=30',
      faults: 0,
      outcome: `${ok} × 200, ${statuses.length - ok - other.length} × 202, ${other.length} other (${[...new Set(other)].join(', ') || 'none'})`,
      missed: other.length > 0 ? [`${other.length} answers neither 200 nor 202`] : [],
    },
    { ...account, submitted: scale.concurrentPredictions },
    stats,
    window.end(),
  );
}

/**
 * SSE connections: half `GET /v1/jobs/:id/events` on prediction jobs, half
 * `POST /v1/predict?stream=true` on a text generator. Each stream must end on its own once its job
 * has ended (a stream still open a while after that is counted as left open).
 */
async function streams(context: ChaosContext): Promise<ChaosRow> {
  const { system, scale } = context;
  const [priceModel, textModel] = await Promise.all([context.fixtures.priceModel(), context.fixtures.textgenModel()]);
  const stats = new RequestStats();
  const window = system.probe.window();
  const client = system.client(stats);
  const half = Math.floor(scale.sseConnections / 2);
  const tracked: TrackedJob[] = [];
  for (let i = 0; i < half; i++) {
    const answer = await client.post('/v1/predict', { model: priceModel, horizon: 3 });
    if (answer.status === 202) tracked.push({ id: answer.json.jobId, type: 'job' });
  }
  // A stream is "left open" if it outlives its job by this much.
  const closeWithinMs = 15_000;
  let leftOpen = 0;
  let withoutEnd = 0;
  let refused = 0;
  const refusals: string[] = [];
  const open = async (url: string, init: RequestInit, jobIdOf: (events: any[]) => string | undefined) => {
    const started = performance.now();
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(scale.settleMs) });
      stats.note(`${init.method ?? 'GET'} ${new URL(url).pathname}`, response.status, performance.now() - started, false);
      // predict?stream=true answers 202 (a job was enqueued) with the stream as its body.
      if (response.status !== 200 && response.status !== 202) {
        refused++;
        refusals.push(`${response.status} ${init.method ?? 'GET'} ${new URL(url).pathname}: ${(await response.text()).slice(0, 160)}`);
        return;
      }
      const events = await readServerSentEvents(response);
      const id = jobIdOf(events);
      const last = events.at(-1);
      if (!last || !['state', 'result', 'error'].includes(last.event) || !['completed', 'failed', 'cancelled'].includes(last.data?.state)) withoutEnd++;
      if (id) tracked.push({ id, type: 'job' });
    } catch (error) {
      leftOpen++;
      stats.transportErrors.push(`stream ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const base = system.api.url;
  const jobStreams = tracked.slice(0, half).map((job) => open(`${base}/v1/jobs/${job.id}/events`, { method: 'GET' }, () => undefined));
  const textStreams = Array.from({ length: scale.sseConnections - half }, (_, i) =>
    open(
      `${base}/v1/predict?stream=true`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: textModel, seedText: 'ROMEO:', length: 40, randomSeed: i }) },
      (events) => events.find((e) => e.event === 'job')?.data?.jobId,
    ),
  );
  // Stream deadlines: once every job has ended, each stream gets closeWithinMs to end.
  const all = Promise.all([...jobStreams, ...textStreams]);
  const finishedAll = await Promise.race([all.then(() => true), sleep(scale.settleMs).then(() => false)]);
  const account = await settleJobs(system, client, tracked, scale.settleMs);
  if (!finishedAll) {
    const late = await Promise.race([all.then(() => true), sleep(closeWithinMs).then(() => false)]);
    if (!late) leftOpen = scale.sseConnections;
  }
  await sleep(0);
  return rowFrom(
    {
      scenario: `${scale.sseConnections} SSE streams (job events + predict?stream=true)`,
      finding: '3 × 1,000 SSE streams, all closed when their jobs end',
      faults: 0,
      outcome: `${scale.sseConnections - refused - leftOpen} streams ended with their job, ${withoutEnd} without a final state event, ${refused} refused, ${leftOpen} left open`,
      details: [...new Set(refusals)].slice(0, 4),
      missed: [
        ...(leftOpen > 0 ? [`${leftOpen} streams left open`] : []),
        ...(withoutEnd > 0 ? [`${withoutEnd} streams ended without the job's final state`] : []),
        ...(refused > 0 ? [`${refused} streams refused`] : []),
      ],
    },
    account,
    stats,
    window.end(),
  );
}

export const load: Scenario = {
  name: 'load',
  async run(context) {
    return [await concurrentPredictions(context), await streams(context)];
  },
};
