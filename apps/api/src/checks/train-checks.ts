import type { FastifyInstance } from 'fastify';
import {
  requiredSeriesLength,
  requiredTextCharacters,
  seq2seqDefaults,
  textGenPresets,
  type PriceModelRecord,
  type PriceTrainPayload,
  type Seq2SeqTrainPayload,
  type TextGenTrainPayload,
  type TrainPayload,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import { checkTrainingFits } from './memory-checks.ts';

/**
 * Checks what the schema cannot before a job is enqueued: the dataset exists and is of the kind
 * the family trains on, and it is large enough for the params. Answers 400/404 naming the field;
 * the worker checks again (a request that slips through fails its job with the same reason).
 */
export async function checkTrainPayload(app: FastifyInstance, payload: TrainPayload): Promise<void> {
  await checkTrainingFits(app, payload);
  switch (payload.kind) {
    case 'price':
      return checkPriceTraining(app, payload);
    case 'textgen':
      return checkTextGenTraining(app, payload);
    case 'seq2seq':
      return checkSeq2SeqTraining(app, payload);
  }
}

async function checkPriceTraining(app: FastifyInstance, payload: PriceTrainPayload): Promise<void> {
  const { collection } = await app.catalog.series(payload.dataset);
  const points = collection.closes(payload.series).length;
  const architecture = payload.architecture ?? 'lstm';
  const needed = requiredSeriesLength(architecture, payload.params, payload.holdout ?? payload.horizon);
  if (points < needed) {
    throw new HttpError(400, `series "${payload.series}" has ${points} points; ${architecture} with these params needs at least ${needed}`, 'body/series');
  }
}

async function checkTextGenTraining(app: FastifyInstance, payload: TextGenTrainPayload): Promise<void> {
  const preset = payload.preset ?? 'default';
  const seqLength = payload.params?.seqLength ?? textGenPresets[preset].seqLength;
  if (payload.params?.step !== undefined && payload.params.step > seqLength) {
    throw new HttpError(400, `params.step must be <= seqLength (${seqLength}), got ${payload.params.step}`, 'body/params/step');
  }
  const record = await app.catalog.recordOf(payload.dataset, 'text');
  const needed = requiredTextCharacters(payload.params, preset);
  if (record.summary.characters < needed) {
    throw new HttpError(
      400,
      `text dataset ${record.id} has ${record.summary.characters} characters; seqLength ${seqLength} with this validationSplit needs at least ${Number.isFinite(needed) ? needed : `${Number.MAX_SAFE_INTEGER}`}`,
      'body/dataset',
    );
  }
}

async function checkSeq2SeqTraining(app: FastifyInstance, payload: Seq2SeqTrainPayload): Promise<void> {
  await app.catalog.recordOf(payload.dataset, 'pairs');
  const embeddingSize = payload.params?.embeddingSize ?? seq2seqDefaults.embeddingSize;
  if (!payload.wordVectors) {
    if (payload.params?.freezeEmbeddings) throw new HttpError(400, 'params.freezeEmbeddings needs wordVectors: a frozen random embedding cannot learn', 'body/params/freezeEmbeddings');
    return;
  }
  const vectors = await app.catalog.recordOf(payload.wordVectors, 'word-vectors');
  if (vectors.summary.dimension !== embeddingSize) {
    throw new HttpError(
      400,
      `word vectors ${vectors.id} have dimension ${vectors.summary.dimension}; params.embeddingSize is ${embeddingSize}: set it to ${vectors.summary.dimension}`,
      'body/params/embeddingSize',
    );
  }
}

/** A price forecast from given history needs at least the model's window (2 points for a linear model). */
export function checkPriceHistory(model: PriceModelRecord, history: number[] | undefined): void {
  if (!history) return;
  const window = Number(model.params.window ?? 0);
  if (model.architecture === 'lstm' && history.length < window) {
    throw new HttpError(400, `history has ${history.length} values; model ${model.id} needs at least its window, ${window}`, 'body/history');
  }
  if (model.architecture === 'linear' && history.length < 2) {
    throw new HttpError(400, 'history needs at least 2 values for a linear model', 'body/history');
  }
}
