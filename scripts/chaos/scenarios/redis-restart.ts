import { RequestStats } from '../http.ts';
import { settleJobs, type TrackedJob } from '../jobs.ts';
import { rowFrom } from '../report.ts';
import { sleep, smallLstm, type Scenario } from '../context.ts';

/** Redis kill -9 mid-batch and mid-predictions, restarted from its append-only file. */
export const redisRestart: Scenario = {
  name: 'redis',
  async run(context) {
    const { system, scale } = context;
    const model = await context.fixtures.priceModel();
    const names = (await context.fixtures.series()).slice(0, Math.min(8, scale.batchSeries)).map((s) => s.name);
    const stats = new RequestStats();
    const window = system.probe.window();
    const client = system.client(stats);
    const tracked: TrackedJob[] = [];
    const predict = async () => {
      const answer = await client.post('/v1/predict', { model, horizon: 5 });
      if (answer.status === 202) tracked.push({ id: answer.json.jobId, type: 'job' });
      return answer.status;
    };
    const batch = await client.post('/v1/batches', { dataset: 'crypto-top100', series: names, architecture: 'lstm', params: smallLstm, horizon: 5 });
    if (batch.status !== 202) throw new Error(`POST /v1/batches: ${batch.status} ${batch.text.slice(0, 300)}`);
    tracked.push({ id: batch.json.batchId, type: 'batch' });
    for (let i = 0; i < 20; i++) await predict();
    // Mid-batch: once a child has finished, or after a few seconds.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const view = (await client.get(`/v1/batches/${batch.json.batchId}`)).json;
      if ((view?.counts?.completed ?? 0) >= 1) break;
      await sleep(200);
    }

    stats.outage = true;
    context.log(`  kill -9 redis for ${scale.redisDownMs} ms (AOF ${await system.aofBytes()} bytes)`);
    await system.killRedis();
    const downUntil = Date.now() + scale.redisDownMs;
    let whileDown = 0;
    while (Date.now() < downUntil) {
      await predict();
      await client.get('/readyz');
      whileDown++;
      await sleep(200);
    }
    await system.restartRedis();
    const restartedAt = Date.now();
    let servingAfterMs = -1;
    while (Date.now() - restartedAt < 30_000) {
      if ((await predict()) === 202) {
        servingAfterMs = Date.now() - restartedAt;
        break;
      }
      await sleep(100);
    }
    stats.outage = false;
    for (let i = 0; i < 20; i++) await predict();
    const account = await settleJobs(system, client, tracked, scale.settleMs);
    return [
      rowFrom(
        {
          scenario: 'Redis kill -9 mid-batch and mid-predictions, restart from AOF',
          finding: 'Redis kill -9 mid-batch and mid-predictions, restart from AOF',
          faults: 1,
          outcome: `${stats.outage503} × 503 while down (${whileDown} rounds); serving again ${servingAfterMs} ms after restart; batch ${account.views.get(batch.json.batchId)?.state ?? 'unknown'}`,
          missed: servingAfterMs < 0 ? ['the API did not serve again within 30 s'] : [],
        },
        { ...account, submitted: tracked.length - 1 + names.length + 1 },
        stats,
        window.end(),
      ),
    ];
  },
};
