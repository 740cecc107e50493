import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import pino from 'pino';
import { ModelError, TrainingCancelledError, writeCheckpointFiles, type ArtifactIO, type TrainingCheckpoint } from '@mlq/models';
import { FileSystemArtifactStore } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import { AbortReason } from './job-guards.ts';
import { JobCheckpoints, TrainingCheckpointStore } from './training-checkpoints.ts';

let dir: string;
let store: FileSystemArtifactStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlq-checkpoints-'));
  store = new FileSystemArtifactStore(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ctx = () => ({ store, log: pino({ level: 'silent' }) }) as unknown as ProcessorContext;
const jobNamed = (id: string, attemptsMade = 0, attempts = 3) => ({ id, attemptsMade, opts: { attempts } }) as unknown as Job;

/** A checkpoint as a training offers it: `save` writes a minimal valid checkpoint at `step`. */
const offered = (reason: TrainingCheckpoint['reason'], step: number, epochsDone: number): TrainingCheckpoint => ({
  reason,
  step,
  epochsDone,
  save: (io: ArtifactIO) =>
    writeCheckpointFiles(io, {
      writeModel: async () => undefined,
      slots: [new Float32Array([step])],
      state: { format: 'mlq-test-checkpoint', formatVersion: 1, position: { step, epoch: epochsDone, batchInEpoch: 0 }, createdAt: new Date().toISOString() },
    }),
});

describe('JobCheckpoints', () => {
  it('keeps the newest checkpoint of a job, finds it on the next attempt, and removes it once the job is done', async () => {
    const job = jobNamed('tr_a');
    const first = await JobCheckpoints.open(ctx(), job, undefined);
    expect(first.resume).toBeUndefined();
    await first.hook(offered('epoch', 4, 1));
    await first.hook(offered('epoch', 8, 2));
    expect(first.newest).toEqual({ step: 8, epoch: 2 });

    const next = await JobCheckpoints.open(ctx(), job, undefined);
    expect(next.resumedFrom).toEqual({ resumedFromStep: 8, resumedFromEpoch: 2 });
    expect(await store.exists('checkpoints/tr_a/step-4')).toBe(false); // the older one is gone
    // The same step again (a resumed run released before its first batch) never overwrites the live one.
    await next.hook(offered('epoch', 8, 2));
    expect((await new TrainingCheckpointStore(store, 'tr_a').latest()) as { step: number }).toMatchObject({ step: 8 });
    await next.completed();
    expect(await store.exists('checkpoints/tr_a')).toBe(false);
  });

  it('writes the checkpoint offered at an abort only when the worker releases the job at shutdown', async () => {
    const cancelled = new AbortController();
    cancelled.abort(AbortReason.cancelled);
    const byUser = await JobCheckpoints.open(ctx(), jobNamed('tr_b'), cancelled.signal);
    await byUser.hook(offered('abort', 3, 0));
    expect(await store.exists('checkpoints/tr_b/latest.json')).toBe(false);
    await byUser.failed(new TrainingCancelledError(AbortReason.cancelled));

    const shutdown = new AbortController();
    shutdown.abort(AbortReason.shutdown);
    const released = await JobCheckpoints.open(ctx(), jobNamed('tr_c', 2, 3), shutdown.signal);
    await released.hook(offered('abort', 5, 1));
    await released.failed(new TrainingCancelledError(AbortReason.shutdown)); // kept, even on the last attempt: no attempt is spent
    expect((await JobCheckpoints.open(ctx(), jobNamed('tr_c'), undefined)).resumedFrom).toEqual({ resumedFromStep: 5, resumedFromEpoch: 1 });
  });

  it('batch children write only the checkpoint of a release; a job that ends for good drops its checkpoints', async () => {
    const child = await JobCheckpoints.open(ctx(), jobNamed('fc_d'), undefined, 'release-only');
    await child.hook(offered('epoch', 2, 1));
    expect(await store.exists('checkpoints/fc_d/latest.json')).toBe(false);

    const retried = await JobCheckpoints.open(ctx(), jobNamed('tr_e', 0, 3), undefined);
    await retried.hook(offered('epoch', 2, 1));
    await retried.failed(new Error('redis hiccup')); // a retry follows: kept
    expect(await store.exists('checkpoints/tr_e/latest.json')).toBe(true);
    await retried.failed(new ModelError('training diverged')); // bad input: the end
    expect(await store.exists('checkpoints/tr_e')).toBe(false);
  });

  it('reports an unreadable checkpoint instead of resuming from it', async () => {
    await store.put('checkpoints/tr_f/step-1/checkpoint.json', new TextEncoder().encode('{"format":"nope"}'));
    await store.put('checkpoints/tr_f/latest.json', new TextEncoder().encode(JSON.stringify({ step: 1, prefix: 'checkpoints/tr_f/step-1' })));
    expect(await new TrainingCheckpointStore(store, 'tr_f').latest()).toEqual({
      problem: expect.stringMatching(/checkpoint at step 1 is unreadable: checkpoint.json is not a training checkpoint/),
    });
    expect((await JobCheckpoints.open(ctx(), jobNamed('tr_f'), undefined)).resume).toBeUndefined();
  });
});
