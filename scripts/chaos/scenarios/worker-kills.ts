import { RequestStats } from '../http.ts';
import { settleJobs, waitForJob } from '../jobs.ts';
import { rowFrom, type ChaosRow } from '../report.ts';
import { sleep, smallLstm, type ChaosContext, type Scenario } from '../context.ts';

async function submitBatch(context: ChaosContext, stats: RequestStats, series: string[], params: Record<string, unknown>): Promise<string> {
  const answer = await context.system.client(stats).post('/v1/batches', { dataset: 'crypto-top100', series, architecture: 'lstm', params, horizon: 5 });
  if (answer.status !== 202) throw new Error(`POST /v1/batches: ${answer.status} ${answer.text.slice(0, 300)}`);
  return answer.json.batchId as string;
}

/** kill -9 of workers at random moments while a batch runs; each killed worker is replaced. */
async function killDuringBatch(context: ChaosContext): Promise<ChaosRow> {
  const { system, scale, random } = context;
  const names = (await context.fixtures.series()).slice(0, scale.batchSeries).map((s) => s.name);
  const stats = new RequestStats();
  const window = system.probe.window();
  const client = system.client(stats);
  const batchId = await submitBatch(context, stats, names, smallLstm);
  let kills = 0;
  const replacements: Array<Promise<unknown>> = [];
  for (let i = 0; i < scale.batchKills; i++) {
    await sleep(500 + random() * 2500);
    const view = (await client.get(`/v1/batches/${batchId}`)).json;
    if (!view || ['completed', 'failed'].includes(view.state)) break;
    const busy = system.workers().filter((w) => view.series.some((s: any) => s.state === 'active' && system.holderOf(s.jobId) === w));
    const candidates = busy.length > 0 ? busy : system.workers();
    const victim = candidates[Math.floor(random() * candidates.length)];
    if (!victim) break;
    context.log(`  kill -9 ${victim.name} (batch ${view.counts.completed ?? 0}/${names.length} completed)`);
    await system.stopWorker(victim, 'SIGKILL');
    kills++;
    replacements.push(system.startWorker());
  }
  await Promise.all(replacements);
  const account = await settleJobs(system, client, [{ id: batchId, type: 'batch' }], scale.settleMs);
  const view = account.views.get(batchId);
  const gathered = view?.series?.filter((s: any) => s.state === 'completed').length ?? 0;
  return rowFrom(
    {
      scenario: `kill -9 workers during a ${names.length}-series batch`,
      finding: 'kill -9 of workers during a batch',
      faults: kills,
      outcome: `batch ${view?.state ?? 'unknown'}, ${gathered}/${view?.series?.length ?? 0} series gathered${Object.keys(view?.skipped ?? {}).length ? ` (${Object.keys(view.skipped).length} of ${names.length} too short, skipped at submit)` : ''}`,
      missed: kills === 0 ? ['no kill landed while the batch ran'] : [],
    },
    { ...account, submitted: names.length + 1 },
    stats,
    window.end(),
  );
}

/** The worker holding one chosen batch child is killed again and again: the child must still complete. */
async function killSameChild(context: ChaosContext): Promise<ChaosRow> {
  const { system, scale, random } = context;
  const names = (await context.fixtures.series()).slice(0, 2).map((s) => s.name);
  const stats = new RequestStats();
  const window = system.probe.window();
  const client = system.client(stats);
  // Long enough per child (many small batches) that it is still running when its worker dies.
  const batchId = await submitBatch(context, stats, names, { ...smallLstm, epochs: 8, batchSize: 16 });
  const view = await waitForJob(client, batchId, (v) => v.series?.length > 0, 30_000, `/v1/batches/${batchId}`);
  const chosen = view.series[0].jobId as string;
  let kills = 0;
  for (let i = 0; i < scale.sameJobKills; i++) {
    const deadline = Date.now() + 60_000;
    let holder = system.holderOf(chosen);
    while (!holder && Date.now() < deadline) {
      const child = (await client.get(`/v1/jobs/${chosen}`)).json;
      if (child && ['completed', 'failed', 'cancelled'].includes(child.state)) break;
      await sleep(100);
      holder = system.holderOf(chosen);
    }
    if (!holder) break;
    await sleep(300 + random() * 1200);
    if (system.holderOf(chosen) !== holder) continue;
    context.log(`  kill -9 ${holder.name}, holding ${chosen} (kill ${i + 1})`);
    await system.stopWorker(holder, 'SIGKILL');
    kills++;
    await system.startWorker();
  }
  const account = await settleJobs(system, client, [{ id: batchId, type: 'batch' }], scale.settleMs);
  const child = account.views.get(chosen);
  return rowFrom(
    {
      scenario: `kill -9 the holder of one batch child ${kills}×`,
      finding: 'kill -9 of the worker running the same batch child, twice',
      faults: kills,
      outcome: `child ${child?.state ?? 'unknown'}${child?.error ? ` (${child.error})` : ''}; batch ${account.views.get(batchId)?.state ?? 'unknown'}`,
      missed: kills < Math.min(2, scale.sameJobKills) ? [`only ${kills} kills landed on the chosen child`] : [],
    },
    { ...account, submitted: names.length + 1 },
    stats,
    window.end(),
  );
}

export const workerKills: Scenario = {
  name: 'kills',
  async run(context) {
    return [await killDuringBatch(context), await killSameChild(context)];
  },
};
