import type { Job } from 'bullmq';
import { trainSeq2Seq as trainChatModel, type Seq2SeqProgress as ModelProgress } from '@mlq/models';
import type { Seq2SeqProgress, Seq2SeqTrainPayload, Seq2SeqTrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { defaultModelName, saveAndRegister } from './register-model.ts';

/** Trains a seq2seq chat model on a pairs dataset, optionally starting from uploaded word vectors. */
export async function trainSeq2Seq(ctx: ProcessorContext, job: Job, payload: Seq2SeqTrainPayload, signal: AbortSignal | undefined): Promise<Seq2SeqTrainResult> {
  const startedAt = Date.now();
  const { pairs } = await ctx.datasets.pairs(payload.dataset);
  const vectors = payload.wordVectors ? (await ctx.datasets.wordVectors(payload.wordVectors)).vectors : undefined;
  let probes: ModelProgress['probes'] = [];
  const model = await trainChatModel(pairs, {
    ...(payload.params ? { params: payload.params } : {}),
    ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
    ...(signal ? { signal } : {}),
    threads: ctx.trainingThreads,
    ...(vectors ? { wordVectors: vectors } : {}),
    onEpochEnd: async (epoch) => {
      probes = epoch.probes;
      const perEpoch = (Date.now() - startedAt) / epoch.epoch;
      await job.updateProgress({ kind: 'seq2seq', ...epoch, etaMs: Math.round(perEpoch * (epoch.epochs - epoch.epoch)) } satisfies Seq2SeqProgress);
    },
  });
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
  };
}
