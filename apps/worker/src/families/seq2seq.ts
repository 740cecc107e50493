import type { Job } from 'bullmq';
import { ChatModel, loadChatModel, tokenize, trainChatModel, type ChatReply, type ReplyOptions, type Seq2SeqProgress as ModelProgress } from '@mlq/models';
import { scopedArtifacts, type PredictPayload, type Seq2SeqModelRecord, type Seq2SeqPredictResult, type Seq2SeqProgress, type Seq2SeqTrainPayload, type Seq2SeqTrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { JobCheckpoints } from '../training-checkpoints.ts';
import { defaultModelName, saveAndRegister } from '../register-model.ts';
import { useModel, type WorkerFamily } from './worker-family.ts';

/**
 * Trains a seq2seq chat model on a pairs dataset, optionally starting from uploaded word vectors.
 * Checkpoints at each epoch end and when the worker releases the job at shutdown; an attempt that
 * finds a checkpoint (a retry after a crash, a released job) continues from it.
 */
async function trainSeq2Seq(ctx: ProcessorContext, job: Job, payload: Seq2SeqTrainPayload, signal: AbortSignal | undefined): Promise<Seq2SeqTrainResult> {
  const startedAt = Date.now();
  const { pairs } = await ctx.datasets.pairs(payload.dataset);
  const vectors = payload.wordVectors ? (await ctx.datasets.wordVectors(payload.wordVectors)).vectors : undefined;
  let probes: ModelProgress['probes'] = [];
  const checkpoints = await JobCheckpoints.open(ctx, job, signal);
  const firstEpoch = checkpoints.resume?.epoch ?? 0;
  let model: ChatModel;
  try {
    model = await trainChatModel(pairs, {
      ...(payload.params ? { params: payload.params } : {}),
      ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
      ...(signal ? { signal } : {}),
      threads: ctx.trainingThreads,
      ...(vectors ? { wordVectors: vectors } : {}),
      ...(checkpoints.resume ? { resumeFrom: checkpoints.resume.io } : {}),
      checkpoint: checkpoints.hook,
      onEpochEnd: async (epoch) => {
        probes = epoch.probes;
        const perEpoch = (Date.now() - startedAt) / Math.max(1, epoch.epoch - firstEpoch);
        await job.updateProgress({
          kind: 'seq2seq',
          ...epoch,
          etaMs: Math.round(perEpoch * (epoch.epochs - epoch.epoch)),
          ...checkpoints.resumedFrom,
          checkpointEpoch: checkpoints.newest?.epoch ?? null,
          checkpointStep: checkpoints.newest?.step ?? null,
        } satisfies Seq2SeqProgress);
      },
    });
  } catch (error) {
    await checkpoints.failed(error);
    throw error;
  }
  const { metrics, metadata } = model;
  const record = await saveAndRegister(ctx, job, model, {
    name: payload.name ?? defaultModelName(payload.dataset, 'seq2seq'),
    kind: 'seq2seq',
    architecture: 'lstm-encoder-decoder',
    dataset: payload.dataset,
    vocabularySize: model.tokenizer.size,
    wordVectors: payload.wordVectors ?? null,
    params: metadata.params as unknown as Record<string, unknown>,
    metrics: { ...metrics, pairs: metadata.pairs, embeddingCoverage: metadata.embeddingCoverage, seed: metadata.seed },
  });
  await checkpoints.completed();
  return {
    modelId: record.id,
    name: record.name,
    version: record.version,
    kind: 'seq2seq',
    architecture: 'lstm-encoder-decoder',
    metrics: { loss: metrics.loss, valLoss: metrics.valLoss, tokenAccuracy: metrics.tokenAccuracy },
    pairs: metadata.pairs,
    vocabularySize: record.kind === 'seq2seq' ? record.vocabularySize : 0,
    embeddingCoverage: metadata.embeddingCoverage,
    probes,
    epochs: metrics.epochs,
    durationMs: Date.now() - startedAt,
    backend: ctx.backend.name,
    ...checkpoints.resumedFrom,
  };
}

async function loadSeq2Seq(ctx: ProcessorContext, record: Seq2SeqModelRecord): Promise<ChatModel> {
  return loadChatModel(scopedArtifacts(ctx.store, record.artifactPrefix));
}

/**
 * Replies with a registered seq2seq chat model: greedy (one reply) or beam search (the n best).
 * Decoding returns to the event loop between steps; `signal` stops it there.
 */
async function predictSeq2Seq(ctx: ProcessorContext, _job: Job, record: Seq2SeqModelRecord, payload: PredictPayload, signal: AbortSignal | undefined): Promise<Seq2SeqPredictResult> {
  const message = payload.message!;
  const strategy = payload.strategy ?? 'greedy';
  const { value, hit } = await useModel(ctx, seq2seqWorkerFamily, record, async (model) => {
    const maxLength = payload.maxLength !== undefined ? { maxLength: payload.maxLength } : {};
    const options: ReplyOptions =
      strategy === 'beam'
        ? {
            strategy: 'beam',
            ...maxLength,
            ...(payload.beamWidth !== undefined ? { beamWidth: payload.beamWidth } : {}),
            ...(payload.n !== undefined ? { n: payload.n } : {}),
            ...(payload.lengthPenalty !== undefined ? { lengthPenalty: payload.lengthPenalty } : {}),
          }
        : { strategy: 'greedy', ...maxLength };
    const replies: ChatReply[] = await model.replyAsync(message, options, signal ? { signal } : {});
    const unknownWords = [...new Set(tokenize(message).filter((token) => !model.tokenizer.has(token)))];
    return { replies, unknownWords };
  });
  return {
    kind: 'seq2seq',
    modelId: record.id,
    name: record.name,
    version: record.version,
    message,
    strategy,
    reply: value.replies[0]?.text ?? '',
    replies: value.replies,
    unknownWords: value.unknownWords,
    cached: hit,
    backend: ctx.backend.name,
  };
}

/** The seq2seq chatbot (LSTM encoder-decoder) on a pairs dataset, optionally with word vectors. */
export const seq2seqWorkerFamily: WorkerFamily<'seq2seq', ChatModel> = {
  kind: 'seq2seq',
  modelClass: ChatModel,
  load: loadSeq2Seq,
  train: trainSeq2Seq,
  predict: predictSeq2Seq,
};
