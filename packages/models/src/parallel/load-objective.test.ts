import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { ModelError } from '../errors.ts';
import { DataParallelGradients } from './data-parallel.ts';
import { createShardLoss, loadObjective } from './load-objective.ts';
import { createMeanSquaredErrorLoss, meanSquaredErrorObjective } from './mean-squared-error.ts';
import type { ObjectiveSpec } from './objective.ts';
import type { LoadRequest, ReplicaBoot, ReplicaMessage } from './protocol.ts';

let outsideDir: string;
/** A module outside the package's src/ that would mark the process if it were ever imported. */
let outsideModule: string;
const marker = '__objectiveModuleOutsideSrcImported';

beforeAll(async () => {
  await initBackend('auto');
  outsideDir = await mkdtemp(join(tmpdir(), 'objective-'));
  const path = join(outsideDir, 'objective.mjs');
  await writeFile(path, `globalThis.${marker} = true;\nexport const createLoss = () => () => { throw new Error('ran'); };\n`);
  outsideModule = pathToFileURL(path).href;
});

afterAll(() => rm(outsideDir, { recursive: true, force: true }));

const outside = (): ObjectiveSpec => ({ module: outsideModule, export: 'createLoss' });

describe('loadObjective', () => {
  it('imports the export a spec names from a module of src/', async () => {
    expect(await loadObjective(meanSquaredErrorObjective())).toBe(createMeanSquaredErrorLoss);
  });

  it('refuses, before importing it, a module outside src/', async () => {
    await expect(loadObjective(outside())).rejects.toThrow(ModelError);
    await expect(loadObjective(outside())).rejects.toThrow(/is outside @mlq\/models' src\/: objectives load only from there/);
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
  });

  it('refuses a path that climbs out of src/, a non-file URL and a bare specifier', async () => {
    const climbing = new URL('../../package.json', import.meta.url).href; // packages/models/package.json
    await expect(loadObjective({ module: climbing, export: 'x' })).rejects.toThrow(/is outside @mlq\/models' src\//);
    await expect(loadObjective({ module: 'data:text/javascript,export const x = () => () => 0', export: 'x' })).rejects.toThrow(/is not a file: URL of @mlq\/models' src\//);
    await expect(loadObjective({ module: 'node:fs', export: 'readFile' })).rejects.toThrow(/is not a file: URL/);
    await expect(loadObjective({ module: 42, export: 'x' } as unknown as ObjectiveSpec)).rejects.toThrow(/must name its module/);
  });

  it('names a missing module, a missing export and an export that builds no loss', async () => {
    const { module } = meanSquaredErrorObjective();
    await expect(loadObjective({ module: new URL('./no-such-objective.ts', module).href, export: 'x' })).rejects.toThrow(/no-such-objective\.ts does not exist/);
    await expect(loadObjective({ module, export: 'createNothing' })).rejects.toThrow(/has no function export createNothing/);
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(createShardLoss({ module, export: 'meanSquaredErrorObjective' }, model)).rejects.toThrow(/training objective meanSquaredErrorObjective of .* built no shard loss/);
    model.dispose();
  });

  it('keeps DataParallelGradients from starting on a spec outside src/', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(DataParallelGradients.start(model, 2, outside())).rejects.toThrow(/is outside @mlq\/models' src\//);
    model.dispose();
  });

  it('is what a replica thread builds its loss with: it refuses a spec outside src/ itself', async () => {
    // Straight to a replica thread, as a message that did not come through DataParallelGradients.
    const entry = new URL('./replica-thread.ts', import.meta.url).href;
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: { entry, backend: tf.getBackend() } satisfies ReplicaBoot });
    const next = () =>
      new Promise<ReplicaMessage>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    try {
      expect(await next()).toEqual({ type: 'booted' });
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
      const load = (objective: ObjectiveSpec): LoadRequest => ({
        type: 'load',
        fastRecurrent: false,
        topology: model.toJSON(undefined, false),
        weightShapes: model.trainableWeights.map((w) => w.shape as number[]),
        objective,
      });
      const refused = next();
      worker.postMessage(load(outside()));
      expect(await refused).toMatchObject({ type: 'error', message: expect.stringMatching(/is outside @mlq\/models' src\//) });
      const loaded = next();
      worker.postMessage(load(meanSquaredErrorObjective()));
      expect(await loaded).toEqual({ type: 'ready' });
      model.dispose();
    } finally {
      await worker.terminate();
    }
  });
});
