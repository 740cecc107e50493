import type { ModelKind } from '@mlq/jobs';
import { priceWorkerFamily } from './price.ts';
import { textGenWorkerFamily } from './textgen.ts';
import { seq2seqWorkerFamily } from './seq2seq.ts';
import type { WorkerFamily } from './worker-family.ts';

export type { WorkerFamily } from './worker-family.ts';
export type { TrainedModel } from '../model-cache.ts';

/**
 * Every model family the worker trains and runs, one entry each (the specs' list, `@mlq/specs`,
 * says which kinds exist). Adding a family is its file beside these and one line here.
 */
export const workerFamilies = [priceWorkerFamily, textGenWorkerFamily, seq2seqWorkerFamily] as const;
export type WorkerFamilies = typeof workerFamilies;

/** Any trained model the worker keeps hot in its cache: what one of the families loads. */
export type LoadedModel = Awaited<ReturnType<WorkerFamilies[number]['load']>>;

/** A kind of the specs without a worker family fails to compile here, naming the kind. */
type Uncovered<Kinds extends never> = Kinds;
export type UncoveredKinds = Uncovered<Exclude<ModelKind, WorkerFamilies[number]['kind']>>;

/**
 * The family of a kind. The worker runs only kinds its payload schemas accept, so one is always
 * found. Called with a payload's or a record's `kind`, it returns the family typed for that value's
 * kind: TypeScript cannot relate a union's members to the list's, so the list is read as one shape.
 */
export function workerFamilyOf<K extends ModelKind>(kind: K): WorkerFamily<K> {
  const family = workerFamilies.find((candidate) => candidate.kind === kind);
  if (!family) throw new TypeError(`no worker family for model kind ${JSON.stringify(kind)}`);
  return family as unknown as WorkerFamily<K>;
}
