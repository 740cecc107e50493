import { randomInt } from 'node:crypto';
import type { Job } from 'bullmq';
import { loadTextModel, TextModel, trainTextModel, UNKNOWN_CHAR_INDEX, useFastRecurrent, type TextTrainProgress } from '@mlq/models';
import {
  scopedArtifacts,
  TextStreamWriter,
  type PredictPayload,
  type TextGenModelRecord,
  type TextGenPredictResult,
  type TextGenProgress,
  type TextGenTrainPayload,
  type TextGenTrainResult,
} from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { JobCheckpoints } from '../training-checkpoints.ts';
import { defaultModelName, saveAndRegister } from '../register-model.ts';
import { useModel, type WorkerFamily } from './worker-family.ts';

/** Characters generated when the request does not say. */
const DEFAULT_GENERATION_LENGTH = 200;

/** Step progress is written at most this often (an epoch of tiny Shakespeare is hundreds of steps). */
const STEP_PROGRESS_INTERVAL_MS = 2_000;

/**
 * Trains a character-level text generator. Checkpoints go to the store every
 * `checkpointEverySteps` steps, at each epoch end and when the worker releases the job at shutdown; an attempt that finds one (a retry after a
 * crash, a job released by a worker shutting down) continues from it instead of starting over.
 */
async function trainTextGen(ctx: ProcessorContext, job: Job, payload: TextGenTrainPayload, signal: AbortSignal | undefined): Promise<TextGenTrainResult> {
  const startedAt = Date.now();
  const { text } = await ctx.datasets.text(payload.dataset);
  const checkpoints = await JobCheckpoints.open(ctx, job, signal);
  const { resume } = checkpoints;
  const preset = payload.preset ?? 'default';
  // A talk-sized step takes ~10 s on wasm with the fast layers, ~110 s with the stock ones, minutes on cpu.
  if (preset === 'talk' && (ctx.backend.name === 'cpu' || (ctx.backend.name === 'wasm' && !useFastRecurrent()))) {
    ctx.log.warn({ jobId: job.id, backend: ctx.backend.name }, 'the talk preset on this backend: one step may take minutes and outlast LOCK_DURATION_MS');
  }

  const resumedFromStep = resume?.step ?? null;
  let checkpointStep = resumedFromStep;
  let lastEpoch: TextGenProgress['lastEpoch'] = null;
  let lastWrite = 0;
  const eta = (step: number, steps: number) => {
    const done = step - (resumedFromStep ?? 0);
    return done > 0 ? Math.round(((Date.now() - startedAt) / done) * (steps - step)) : undefined;
  };
  const report = async (progress: Omit<TextGenProgress, 'kind' | 'checkpointStep' | 'resumedFromStep' | 'lastEpoch' | 'etaMs'>) => {
    lastWrite = Date.now();
    const etaMs = eta(progress.step, progress.steps);
    await job.updateProgress({ kind: 'textgen', ...progress, checkpointStep, resumedFromStep, lastEpoch, ...(etaMs !== undefined ? { etaMs } : {}) } satisfies TextGenProgress);
  };

  const training = trainTextModel(text, {
    preset,
    ...(payload.params ? { params: payload.params } : {}),
    ...(payload.seed !== undefined && !resume ? { seed: payload.seed } : {}),
    ...(payload.sampleLength !== undefined ? { sampleLength: payload.sampleLength } : {}),
    ...(payload.sampleTemperature !== undefined ? { sampleTemperature: payload.sampleTemperature } : {}),
    ...(signal ? { signal } : {}),
    ...(resume ? { resumeFrom: resume.io } : {}),
    threads: ctx.trainingThreads,
    checkpoint: async (checkpoint) => {
      await checkpoints.hook(checkpoint);
      checkpointStep = checkpoints.newest?.step ?? null;
    },
    onStep: async (step) => {
      if (Date.now() - lastWrite < STEP_PROGRESS_INTERVAL_MS) return;
      await report({ epoch: step.epoch, epochs: step.epochs, step: step.step, steps: step.steps, loss: step.loss, bitsPerChar: step.bitsPerChar });
    },
    onEpochEnd: async (epoch: TextTrainProgress) => {
      lastEpoch = {
        epoch: epoch.epoch,
        step: epoch.step,
        loss: epoch.loss,
        valLoss: epoch.valLoss,
        bitsPerChar: epoch.bitsPerChar,
        valBitsPerChar: epoch.valBitsPerChar,
        sample: epoch.sample,
      };
      await report({ epoch: epoch.epoch, epochs: epoch.epochs, step: epoch.step, steps: epoch.steps, loss: epoch.loss, bitsPerChar: epoch.bitsPerChar });
    },
  });
  let model: TextModel;
  try {
    model = await training;
  } catch (error) {
    await checkpoints.failed(error);
    throw error;
  }
  const { params, metrics } = model;
  const record = await saveAndRegister(ctx, job, model, {
    name: payload.name ?? defaultModelName(payload.dataset, 'textgen'),
    kind: 'textgen',
    architecture: params.cell,
    preset,
    dataset: payload.dataset,
    vocabularySize: model.vocabulary.size,
    params: params as unknown as Record<string, unknown>,
    metrics: { ...metrics, history: undefined, seed: model.metadata.seed } as unknown as Record<string, unknown>,
  });
  await checkpoints.completed();
  return {
    modelId: record.id,
    name: record.name,
    version: record.version,
    kind: 'textgen',
    architecture: params.cell,
    metrics: {
      loss: metrics.loss,
      valLoss: metrics.valLoss,
      bitsPerChar: metrics.bitsPerChar,
      valBitsPerChar: metrics.valBitsPerChar,
      unigramBitsPerChar: metrics.unigramBitsPerChar,
    },
    epochs: metrics.epochs,
    steps: metrics.steps,
    resumedFromStep,
    sample: (lastEpoch as TextGenProgress['lastEpoch'])?.sample ?? '',
    durationMs: Date.now() - startedAt,
    backend: ctx.backend.name,
  };
}

async function loadTextGen(ctx: ProcessorContext, record: TextGenModelRecord): Promise<TextModel> {
  return loadTextModel(scopedArtifacts(ctx.store, record.artifactPrefix));
}

/**
 * Generates text with a registered textgen model. With `stream`, characters are appended to the
 * job's text stream as they come (the API relays them as server-sent events).
 */
async function predictTextGen(ctx: ProcessorContext, job: Job, record: TextGenModelRecord, payload: PredictPayload, signal: AbortSignal | undefined): Promise<TextGenPredictResult> {
  const seedText = payload.seedText!;
  const length = payload.length ?? DEFAULT_GENERATION_LENGTH;
  const temperature = payload.temperature ?? 1;
  const randomSeed = payload.randomSeed ?? randomInt(2 ** 31 - 1);
  const stream = payload.stream ? new TextStreamWriter(ctx.redis, ctx.config.QUEUE_PREFIX, job.id!) : undefined;
  await stream?.start(job.attemptsStarted);
  let unknownCharacters = 0;
  const { value: text, hit } = await useModel(ctx, textGenWorkerFamily, record, async (model) => {
    unknownCharacters = model.vocabulary.encode(seedText).filter((index) => index === UNKNOWN_CHAR_INDEX).length;
    return model.generate({
      seedText,
      length,
      temperature,
      randomSeed,
      ...(payload.topK !== undefined ? { topK: payload.topK } : {}),
      ...(stream ? { onText: (chunk: string) => stream.write(chunk) } : {}),
      ...(signal ? { signal } : {}),
    });
  });
  await stream?.end();
  return {
    kind: 'textgen',
    modelId: record.id,
    name: record.name,
    version: record.version,
    seedText,
    text,
    length,
    temperature,
    topK: payload.topK ?? null,
    randomSeed,
    unknownCharacters,
    cached: hit,
    backend: ctx.backend.name,
  };
}

/** Character-level text generation (LSTM/GRU) on a text dataset. */
export const textGenWorkerFamily: WorkerFamily<'textgen', TextModel> = {
  kind: 'textgen',
  modelClass: TextModel,
  load: loadTextGen,
  train: trainTextGen,
  predict: predictTextGen,
};
