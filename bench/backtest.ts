import { loadavg } from 'node:os';
import { findBuiltinDataset } from '@mlq/datasets';

/** What the service benchmark gives a section: HTTP calls to its API and its worker pool. */
export interface ServiceBench {
  post(url: string, body: unknown): Promise<{ status: number; json: any }>;
  get(url: string): Promise<any>;
  startWorker(): Promise<unknown>;
  stopWorkers(): Promise<void>;
  quick: boolean;
}

const FOLDS = 5;
const HORIZON = 10;

/** The specifications timed: the linear baseline, and a small one-epoch LSTM (the batch figure's network). */
const specifications = [
  { label: 'linear', body: { architecture: 'linear' }, minTrain: HORIZON + 2 },
  {
    label: 'LSTM 16→16, window 20, 1 epoch',
    body: { architecture: 'lstm', params: { window: 20, units1: 16, units2: 16, epochs: 1, batchSize: 128 }, seed: 1 },
    minTrain: 20 + HORIZON + 10,
  },
];

/**
 * Backtest throughput: one 5-origin, horizon-10 backtest per coin of crypto-top100 with enough
 * history (every fold a job of the train queue, each backtest a flow), all enqueued at once, timed
 * from the first request to the last backtest gathered, with 1 and then 2 workers. Also prints how
 * the model fared against naive over the coins (geometric mean of its MASE over naive's).
 */
export async function benchBacktests(bench: ServiceBench): Promise<void> {
  const collection = await findBuiltinDataset('crypto-top100')!.load();
  for (const spec of specifications) {
    const needed = spec.minTrain + (FOLDS - 1) * HORIZON + HORIZON;
    const coins = collection.seriesNames().filter((coin) => collection.closes(coin).length >= needed);
    const chosen = bench.quick ? coins.slice(0, 4) : coins;
    for (const count of [1, 2]) {
      for (let i = 0; i < count; i++) await bench.startWorker();
      const started = performance.now();
      const ids = await Promise.all(
        chosen.map(async (series) => {
          const response = await bench.post('/v1/backtests', { dataset: 'crypto-top100', series, folds: FOLDS, horizon: HORIZON, ...spec.body });
          if (response.status !== 202) throw new Error(`backtest of ${series} answered ${response.status}: ${response.json.message}`);
          return response.json.jobId as string;
        }),
      );
      // Every unfinished backtest is looked at every 100 ms, all at once.
      const results = new Map<string, any>();
      while (results.size < ids.length) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const pending = ids.filter((id) => !results.has(id));
        for (const job of await Promise.all(pending.map((id) => bench.get(`/v1/jobs/${id}`)))) {
          if (job.state === 'completed') results.set(job.id, job.result);
          else if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`backtest ${job.id} ${job.state}: ${job.error}`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const ratios = [...results.values()].map((result) => result.skill.relativeMase).filter((ratio): ratio is number => typeof ratio === 'number' && ratio > 0);
      const geometric = Math.exp(ratios.reduce((sum, ratio) => sum + Math.log(ratio), 0) / ratios.length);
      const beating = ratios.filter((ratio) => ratio < 1).length;
      console.log(
        `backtest throughput, ${spec.label}, ${chosen.length} coins × ${FOLDS} origins (horizon ${HORIZON}), ${count} worker${count > 1 ? 's' : ''}: ` +
          `${seconds.toFixed(1)} s, ${((chosen.length * FOLDS) / seconds).toFixed(1)} folds/s ` +
          `(MASE over naive's, geometric mean over coins ${geometric.toFixed(3)}; beats naive on ${beating} of ${ratios.length}; load average ${loadavg()[0]!.toFixed(1)})`,
      );
      await bench.stopWorkers();
    }
  }
}
