import { Type } from '@sinclair/typebox';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelConfigError, ModelError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import { createRandom } from '../samples/synthetic.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { usableTrainingThreads } from '../parallel/threads.ts';
import { AdamOptimizer, type AdamState } from '../checkpoint/adam.ts';
import { checkOption, TextGenTrainPayloadSchema } from '@mlq/specs';
import { validateTextGenParams, type TextGenParams, type TextGenPresetName } from './config.ts';
import { createCheckpointer, type CheckpointHook, type TrainingCheckpoint } from '../checkpoint/hook.ts';
import {
  fingerprintCorpus,
  readTextCheckpoint,
  TEXT_CHECKPOINT_FORMAT,
  TEXT_CHECKPOINT_FORMAT_VERSION,
  writeTextCheckpoint,
  type LoadedTextCheckpoint,
  type TextTrainingPosition,
} from './checkpoint.ts';
import { countTrainingWindows, countValidationWindows, createWindowBatch, epochOrder, splitCorpus, type TextSplit } from './data.ts';
import { generateText } from './generate.ts';
import { TEXT_MODEL_FORMAT, TEXT_MODEL_FORMAT_VERSION, type TextEpochMetrics, type TextModelMetadata, type TextModelMetrics } from './io.ts';
import { bitsPerChar, crossEntropyNats, unigramEntropyOfIndices } from './metrics.ts';
import { splitWindows, textCrossEntropyObjective, type WindowShard } from './objective.ts';
import { buildTextNetwork, readNetworkWeights, trainableVariables, type TextNetworkWeights } from './network.ts';
import { deriveSeed, randomSeed, RandomStream } from '../random.ts';
import { forwardWindows } from './recurrent.ts';
import { TextModel } from './text-model.ts';
import { CharVocabulary } from './vocabulary.ts';

/** What `onStep` receives after each optimizer step. */
export interface TextTrainStep {
  /** 1-based epoch in progress. */
  epoch: number;
  epochs: number;
  /** Optimizer steps done in the whole run, this one included (1-based, counting on across a resume). */
  step: number;
  /** Optimizer steps of the whole run. */
  steps: number;
  /** 1-based step within the epoch. */
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** This batch's loss, nats per character. */
  loss: number;
  bitsPerChar: number;
}

/** What `onEpochEnd` receives after each epoch. */
export interface TextTrainProgress extends TextEpochMetrics {
  epochs: number;
  steps: number;
  /** Text generated after the epoch from a seed window of the corpus (`sampleLength` characters; empty when 0). */
  sample: string;
}

/** What the `checkpoint` hook receives: the run paused at a step, and how to persist it (see `writeTextCheckpoint` for the files). */
export type TextTrainingCheckpoint = TrainingCheckpoint;

export interface TrainTextModelOptions {
  /** Preset that omitted params come from. Ignored when resuming. @defaultValue `'default'` */
  preset?: TextGenPresetName;
  /** Hyperparameters over the preset's. When resuming only `epochs` and `checkpointEverySteps` may differ from the checkpoint's. */
  params?: Partial<TextGenParams>;
  /** Seeds the initial weights, the data order, dropout and the epoch samples (integer 0 to 2³²−1). @defaultValue random */
  seed?: number;
  /** Checked before every step; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Called (and awaited) after every optimizer step. */
  onStep?: (progress: TextTrainStep) => void | Promise<void>;
  /** Called (and awaited) after every epoch, after its checkpoint. */
  onEpochEnd?: (progress: TextTrainProgress) => void | Promise<void>;
  /**
   * Called (and awaited) every `checkpointEverySteps` steps, at each epoch end, and when `signal`
   * aborts between batches (before the rejection); call `save(io)` to persist.
   */
  checkpoint?: CheckpointHook;
  /** A checkpoint (written through `TextTrainingCheckpoint.save`) to continue from, with the same text. */
  resumeFrom?: ArtifactIO;
  /** Characters of the sample generated after each epoch, 0–2000. @defaultValue 200 */
  sampleLength?: number;
  /** Temperature of that sample. @defaultValue 0.5 */
  sampleTemperature?: number;
  /**
   * Threads that share each batch on the wasm and cpu backends: this one plus `threads − 1`
   * worker threads, each with its own backend and a replica of the network, gradients averaged
   * (see `DataParallelGradients`); each gets at least 8 windows of a batch, tfjs-node uses one.
   * Dropout masks depend on the thread count, so a resumed run repeats an uninterrupted one bit
   * for bit only with the same count. @defaultValue 1
   */
  threads?: number;
}

/** Text shards below this many windows cost more in messaging than they save (measured: `npm run bench`, section recurrent). */
const MIN_WINDOWS_PER_THREAD = 8;

/** Where a run starts: fresh weights at step 0, or a checkpoint's. */
interface RunStart {
  params: TextGenParams;
  seed: number;
  vocabulary: CharVocabulary;
  network: tfl.LayersModel;
  optimizer?: AdamState;
  position: TextTrainingPosition;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError(signal.reason);
}

/**
 * Trains a character-level model on `text`: windows of `seqLength` characters (one-hot) through
 * the stacked LSTM/GRU, predicting the next character at every position, softmax cross-entropy,
 * Adam with gradients clipped to norm 5. The last `validationSplit` of the text gives the
 * validation loss. A custom loop (not `model.fit`): it returns to the event loop after every
 * batch (a queue worker keeps renewing its lock), checks the loss for NaN, checkpoints, and
 * resumes bit-for-bit: a run resumed from a checkpoint ends with the weights an uninterrupted run
 * reaches on the same backend, because the epoch's shuffle and each step's dropout masks derive
 * from the seed and the epoch or step number.
 *
 * Rejects with `ModelConfigError`, `CorpusTooShortError`, `TrainingCancelledError` (signal
 * aborted) or `TrainingDivergedError` (non-finite loss), having disposed every tensor it made.
 */
/** Seeds the library takes: any uint32 (the API's payloads take the smaller `SeedSchema`). */
const LIBRARY_SEED_SCHEMA = Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 });

export async function trainTextModel(text: string, options: TrainTextModelOptions = {}): Promise<TextModel> {
  if (typeof text !== 'string') throw new ModelConfigError('text', `must be a string, got ${typeof text}`);
  const { sampleLength: sampleLengthField, sampleTemperature: sampleTemperatureField } = TextGenTrainPayloadSchema.properties;
  const sampleLength = checkOption('sampleLength', sampleLengthField, options.sampleLength ?? 200);
  const sampleTemperature = checkOption('sampleTemperature', sampleTemperatureField, options.sampleTemperature ?? 0.5);
  if (options.seed !== undefined) checkOption('seed', LIBRARY_SEED_SCHEMA, options.seed);
  throwIfAborted(options.signal);

  const start = options.resumeFrom ? resumeRun(await readTextCheckpoint(options.resumeFrom), text, options) : startRun(text, options);
  let optimizer: AdamOptimizer | undefined;
  let gradients: DataParallelGradients<WindowShard> | undefined;
  try {
    optimizer = new AdamOptimizer(trainableVariables(start.network), start.params.learningRate, start.optimizer);
    const corpus = splitCorpus(start.vocabulary.encode(text), start.params);
    gradients = await startGradients(start, corpus.train, options.threads ?? 1);
    const metadata = await runEpochs(text, start, optimizer, gradients, { ...options, sampleLength, sampleTemperature });
    return new TextModel(metadata, start.network);
  } catch (error) {
    start.network.dispose();
    throw error;
  } finally {
    optimizer?.dispose();
    await gradients?.close();
  }
}

/** The data-parallel gradients of a run: `threads` as far as the batch feeds them (see `usableTrainingThreads`). */
function startGradients(start: RunStart, train: Int32Array, threads: number): Promise<DataParallelGradients<WindowShard>> {
  const { params, vocabulary, network } = start;
  const usable = usableTrainingThreads(threads, Math.min(params.batchSize, countTrainingWindows(train.length, params)), MIN_WINDOWS_PER_THREAD);
  return DataParallelGradients.start(
    network,
    usable,
    textCrossEntropyObjective({
      codes: usable > 1 ? sharedCopy(train) : train,
      cell: params.cell,
      vocabularySize: vocabulary.size,
      seqLength: params.seqLength,
      dropout: params.dropout,
    }),
  );
}

/** `codes` in memory that worker threads share instead of copying. */
function sharedCopy(codes: Int32Array): Int32Array {
  const shared = new Int32Array(new SharedArrayBuffer(codes.byteLength));
  shared.set(codes);
  return shared;
}

function startRun(text: string, options: TrainTextModelOptions): RunStart {
  const params = validateTextGenParams(options.params, options.preset);
  const vocabulary = CharVocabulary.fromText(text);
  splitCorpus(vocabulary.encode(text), params); // fails on a short corpus before any weight exists
  const seed = options.seed ?? randomSeed();
  const network = buildTextNetwork(params, vocabulary.size, seed);
  return { params, seed, vocabulary, network, position: { step: 0, epoch: 0, batchInEpoch: 0, epochLossSum: 0, epochCharacters: 0, history: [] } };
}

/** Checks that the checkpoint fits this text and these options; takes ownership of its network. */
function resumeRun(checkpoint: LoadedTextCheckpoint, text: string, options: TrainTextModelOptions): RunStart {
  const { state, network } = checkpoint;
  try {
    const corpus = fingerprintCorpus(text);
    if (corpus.length !== state.corpus.length || corpus.fnv1a !== state.corpus.fnv1a) {
      throw new ModelError(
        `resumeFrom: the checkpoint was trained on another text (${state.corpus.length} UTF-16 units, FNV-1a ${state.corpus.fnv1a}; given ${corpus.length}, ${corpus.fnv1a})`,
      );
    }
    if (options.seed !== undefined && options.seed !== state.seed) throw new ModelConfigError('seed', `differs from the checkpoint's (${state.seed}); a resumed run keeps its seed`);
    for (const [field, value] of Object.entries(options.params ?? {})) {
      const kept = state.params[field as keyof TextGenParams];
      if (value !== undefined && field !== 'epochs' && field !== 'checkpointEverySteps' && value !== kept) {
        throw new ModelConfigError(field, `differs from the checkpoint's (${String(kept)}); a resumed run may change only epochs and checkpointEverySteps`);
      }
    }
    const params = validateTextGenParams({ ...state.params, ...Object.fromEntries(Object.entries(options.params ?? {}).filter(([, v]) => v !== undefined)) });
    return { params, seed: state.seed, vocabulary: checkpoint.vocabulary, network, optimizer: checkpoint.optimizer, position: structuredClone(state.position) };
  } catch (error) {
    network.dispose();
    throw error;
  }
}

type RunOptions = TrainTextModelOptions & { sampleLength: number; sampleTemperature: number };

/** The training loop proper, from `start.position` to the last epoch; returns the final metadata. */
async function runEpochs(text: string, start: RunStart, optimizer: AdamOptimizer, gradients: DataParallelGradients<WindowShard>, options: RunOptions): Promise<TextModelMetadata> {
  const { params, seed, vocabulary, network, position } = start;
  const { signal } = options;
  const codes = vocabulary.encode(text);
  const split = splitCorpus(codes, params);
  const weights = readNetworkWeights(network, params.cell, vocabulary.size);
  const windowCount = countTrainingWindows(split.train.length, params);
  const stepsPerEpoch = Math.ceil(windowCount / params.batchSize);
  const steps = stepsPerEpoch * params.epochs;
  const unigramBitsPerChar = unigramEntropyOfIndices(split.train);
  const metadataNow = (): TextModelMetadata => ({
    format: TEXT_MODEL_FORMAT,
    formatVersion: TEXT_MODEL_FORMAT_VERSION,
    vocabulary: [...vocabulary.characters],
    params,
    seed,
    metrics: summarize(position, unigramBitsPerChar),
    corpusCharacters: codes.length,
    backend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    createdAt: new Date().toISOString(),
  });

  const checkpointer = createCheckpointer(options.checkpoint, async (io) => {
    await writeTextCheckpoint(io, {
      state: {
        format: TEXT_CHECKPOINT_FORMAT,
        formatVersion: TEXT_CHECKPOINT_FORMAT_VERSION,
        params,
        seed,
        vocabulary: [...vocabulary.characters],
        corpus: fingerprintCorpus(text),
        position: structuredClone(position),
        optimizer: { step: optimizer.step, shapes: network.trainableWeights.map((w) => [...(w.shape as number[])]) },
        createdAt: new Date().toISOString(),
      },
      metadata: metadataNow(),
      network,
      optimizer: await optimizer.readState(),
    });
  });
  if (position.step > 0) checkpointer.resumedAt(position.step);
  const checkpoint = (reason: TrainingCheckpoint['reason']) => checkpointer.offer(reason, position.step, position.history.length);

  try {
    await trainEpochs();
  } catch (error) {
    // Released (a worker shutting down) or cancelled between batches: where the run stands is a
    // checkpoint the next attempt goes on from.
    if (error instanceof TrainingCancelledError) await checkpoint('abort');
    throw error;
  }
  return metadataNow();

  async function trainEpochs(): Promise<void> {
    while (position.epoch < params.epochs) {
      const order = epochOrder(windowCount, seed, position.epoch);
      while (position.batchInEpoch < stepsPerEpoch) {
        throwIfAborted(signal);
        const windows = order.subarray(position.batchInEpoch * params.batchSize, (position.batchInEpoch + 1) * params.batchSize);
        const loss = await trainStep(
          gradients,
          optimizer,
          Array.from(windows, (w) => w * params.step),
          deriveSeed(seed, RandomStream.dropout, position.step),
        );
        if (!Number.isFinite(loss)) {
          throw new TrainingDivergedError(`training diverged at step ${position.step + 1}: loss ${loss}; try a lower learningRate (was ${params.learningRate})`);
        }
        const characters = windows.length * params.seqLength;
        position.step++;
        position.batchInEpoch++;
        position.epochLossSum += loss * characters;
        position.epochCharacters += characters;
        await options.onStep?.({
          epoch: position.epoch + 1,
          epochs: params.epochs,
          step: position.step,
          steps,
          stepInEpoch: position.batchInEpoch,
          stepsPerEpoch,
          loss,
          bitsPerChar: bitsPerChar(loss),
        });
        const epochEnds = position.batchInEpoch === stepsPerEpoch;
        if (!epochEnds && params.checkpointEverySteps > 0 && position.step % params.checkpointEverySteps === 0) await checkpoint('interval');
        await yieldToEventLoop();
      }

      const valLoss = split.validation.length > 0 ? await evaluateLoss(weights, split.validation, params, signal) : null;
      if (valLoss !== null && !Number.isFinite(valLoss)) throw new TrainingDivergedError(`training diverged: validation loss ${valLoss} after epoch ${position.epoch + 1}`);
      const loss = position.epochLossSum / position.epochCharacters;
      const metrics: TextEpochMetrics = {
        epoch: position.epoch + 1,
        step: position.step,
        loss,
        valLoss,
        bitsPerChar: bitsPerChar(loss),
        valBitsPerChar: valLoss === null ? null : bitsPerChar(valLoss),
      };
      const sample = options.sampleLength > 0 ? await generateEpochSample(weights, vocabulary, split, position.epoch, seed, params.seqLength, options) : '';
      position.history.push(metrics);
      position.epoch++;
      position.batchInEpoch = 0;
      position.epochLossSum = 0;
      position.epochCharacters = 0;
      await checkpoint('epoch');
      await options.onEpochEnd?.({ ...metrics, epochs: params.epochs, steps, sample });
      throwIfAborted(signal);
    }
  }
}

/** One optimizer step on the windows starting at `starts`, split across the threads; returns the batch's loss (nats/char). */
async function trainStep(gradients: DataParallelGradients<WindowShard>, optimizer: AdamOptimizer, starts: number[], dropoutSeed: number): Promise<number> {
  const { loss, grads } = await gradients.compute(splitWindows(starts, gradients.threads), dropoutSeed);
  try {
    optimizer.applyGradients(grads);
  } finally {
    tf.dispose(Object.values(grads));
  }
  return loss;
}

/** Mean loss (nats/char) over the validation windows, without dropout, yielding between batches. */
async function evaluateLoss(weights: TextNetworkWeights, codes: Int32Array, params: TextGenParams, signal: AbortSignal | undefined): Promise<number> {
  const count = countValidationWindows(codes.length, params.seqLength);
  let sum = 0;
  for (let first = 0; first < count; first += params.batchSize) {
    throwIfAborted(signal);
    const starts = Array.from({ length: Math.min(params.batchSize, count - first) }, (_, i) => (first + i) * params.seqLength);
    const batch = createWindowBatch(codes, starts, params.seqLength);
    const loss = tf.tidy(() => crossEntropyNats(forwardWindows(weights, batch.inputs, undefined, true), batch.targets));
    tf.dispose([batch.inputs, batch.targets]);
    const [value] = await loss.data();
    loss.dispose();
    sum += value! * starts.length;
    await yieldToEventLoop();
  }
  return sum / count;
}

/** The epoch-end sample, as the classroom callback did: a window of the training text as seed, then generated text. */
async function generateEpochSample(
  weights: TextNetworkWeights,
  vocabulary: CharVocabulary,
  split: TextSplit,
  epoch: number,
  seed: number,
  seqLength: number,
  options: RunOptions,
): Promise<string> {
  const at = Math.floor(createRandom(deriveSeed(seed, RandomStream.sampleText, epoch))() * (split.train.length - seqLength));
  const seedText = Array.from(split.train.subarray(at, at + seqLength), (index) => vocabulary.character(index)).join('');
  return generateText(weights, vocabulary, {
    seedText,
    length: options.sampleLength,
    temperature: options.sampleTemperature,
    randomSeed: deriveSeed(seed, RandomStream.sampleSeed, epoch),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function summarize(position: TextTrainingPosition, unigramBitsPerChar: number): TextModelMetrics {
  const last = position.history.at(-1);
  return {
    loss: last?.loss ?? null,
    valLoss: last?.valLoss ?? null,
    bitsPerChar: last?.bitsPerChar ?? null,
    valBitsPerChar: last?.valBitsPerChar ?? null,
    unigramBitsPerChar,
    epochs: position.history.length,
    steps: position.step,
    history: structuredClone(position.history),
  };
}
