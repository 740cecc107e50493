import { readFile } from 'node:fs/promises';
import { repoRoot } from '../../test/harness/processes.ts';
import path from 'node:path';
import { RequestStats, type HttpAnswer, type HttpClient } from './http.ts';
import { waitForJob } from './jobs.ts';
import type { ChaosRow } from './report.ts';
import type { ScaleSettings } from './scale.ts';
import type { ChaosSystem } from './system.ts';

export interface ChaosContext {
  system: ChaosSystem;
  scale: ScaleSettings;
  fixtures: Fixtures;
  /** Seeded, so a run can be repeated (`CHAOS_SEED`). */
  random: () => number;
  log(line: string): void;
}

export interface Scenario {
  /** Short name, used by `CHAOS_ONLY`. */
  name: string;
  run(context: ChaosContext): Promise<ChaosRow[]>;
}

export { seededRandom } from '../../packages/datasets/src/testing/seeded-random.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small price LSTM: a few seconds of training per series on one thread. */
export const smallLstm = { window: 10, units1: 8, units2: 8, epochs: 1, batchSize: 64 };
export const smallTextgen = { units: 16, seqLength: 24, batchSize: 32, learningRate: 0.01, validationSplit: 0.1, epochs: 1 };

/** Models and datasets several scenarios share, made once on first use. */
export class Fixtures {
  private readonly cache = new Map<string, Promise<string>>();
  private seriesList?: Promise<Array<{ name: string; rows: number }>>;
  constructor(private readonly system: ChaosSystem) {}

  private client(): HttpClient {
    return this.system.client(new RequestStats());
  }

  private once(key: string, make: () => Promise<string>): Promise<string> {
    let value = this.cache.get(key);
    if (!value) {
      value = make();
      this.cache.set(key, value);
      value.catch(() => this.cache.delete(key));
    }
    return value;
  }

  /** crypto-top100's series, longest first. */
  series(): Promise<Array<{ name: string; rows: number }>> {
    this.seriesList ??= this.retrying(() => this.client().get('/v1/datasets/crypto-top100')).then((answer) => {
      if (answer.status !== 200) throw new Error(`GET /v1/datasets/crypto-top100: ${answer.status} ${answer.text.slice(0, 200)}`);
      return (answer.json.summary.series as Array<{ name: string; rows: number }>).slice().sort((a, b) => b.rows - a.rows);
    });
    return this.seriesList;
  }

  /** A setup request, asked again while the API answers 503 or not at all (a loaded machine, Redis coming back). */
  private async retrying(send: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
    for (let attempt = 1; ; attempt++) {
      const answer = await send();
      if ((answer.status !== 503 && answer.status !== 0) || attempt >= 10) return answer;
      await sleep(500 * attempt);
    }
  }

  private async train(payload: Record<string, unknown>): Promise<string> {
    const client = this.client();
    const answer = await this.retrying(() => client.post('/v1/train', payload));
    if (answer.status !== 202) throw new Error(`fixture training refused: ${answer.status} ${answer.text.slice(0, 300)}`);
    const view = await waitForJob(client, answer.json.jobId, (v) => ['completed', 'failed', 'cancelled'].includes(v.state), 180_000);
    if (view?.state !== 'completed') throw new Error(`fixture training ${answer.json.jobId} ended ${view?.state}: ${view?.error}`);
    return view.result.name as string;
  }

  /** A trained price model's name. */
  priceModel(): Promise<string> {
    return this.once('price', () =>
      this.train({ kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', name: 'chaos-btc', params: { ...smallLstm, epochs: 1 }, horizon: 5 }),
    );
  }

  /** An uploaded text corpus (the excerpt of tiny Shakespeare the tests use). */
  textDataset(): Promise<string> {
    return this.once('text', async () => {
      const corpus = await readFile(path.join(repoRoot, 'packages/models/src/textgen/fixtures/tiny-shakespeare-excerpt.txt'));
      const answer = await this.retrying(() => this.client().request('POST', '/v1/datasets?kind=text&name=excerpt.txt', { raw: corpus, headers: { 'content-type': 'text/plain' } }));
      if (answer.status !== 201) throw new Error(`text upload: ${answer.status} ${answer.text.slice(0, 300)}`);
      return answer.json.id as string;
    });
  }

  /** A trained text generator's name. */
  textgenModel(): Promise<string> {
    return this.once('textgen', async () => this.train({ kind: 'textgen', dataset: await this.textDataset(), name: 'chaos-bard', params: smallTextgen, seed: 1, sampleLength: 0 }));
  }
}
