import type { ModelKind, ModelRecord, PredictPayload, TrainPayload } from '@mlq/jobs';
import type { FastifyInstance } from 'fastify';
import type { ApiFamily } from './api-family.ts';
import { priceApiFamily } from './price.ts';
import { textGenApiFamily } from './textgen.ts';
import { seq2seqApiFamily } from './seq2seq.ts';

/** The API's side of every model family; one entry per family (its spec is in `@mlq/specs`). */
const apiFamilies = [priceApiFamily, textGenApiFamily, seq2seqApiFamily] as const;

type AnyApiFamily = ApiFamily<TrainPayload, ModelRecord>;

/** The API family of a kind. */
export function apiFamilyOf(kind: ModelKind): AnyApiFamily {
  const family = apiFamilies.find((candidate) => candidate.kind === kind);
  if (!family) throw new TypeError(`no API family for kind ${kind}`);
  return family as unknown as AnyApiFamily;
}

/** The family's checks of a training request (the memory check runs for every family before it). */
export const checkFamilyTraining = (app: FastifyInstance, payload: TrainPayload): Promise<void> => apiFamilyOf(payload.kind).checkTraining(app, payload);

/** The family's checks of a prediction against the model it names. */
export const checkFamilyPredict = (model: ModelRecord, payload: PredictPayload): void => apiFamilyOf(model.kind).checkPredict(model, payload);

/** The kinds whose predictions can stream. */
export const streamingKinds = (): ModelKind[] => apiFamilies.filter((family) => family.streams).map((family) => family.kind);
