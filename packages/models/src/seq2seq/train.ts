// Gradients (variableGrads) need the kernels the tfjs umbrella registers.
import '../tfjs-setup.ts';
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, ModelError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { splitPairs } from '../parallel/objectives.ts';
import { usableTrainingThreads } from '../parallel/threads.ts';
import { createRandom } from '../samples/synthetic.ts';
import { ChatModel } from './chat-model.ts';
import { validateSeq2SeqParams, type Seq2SeqParams } from './config.ts';
import { checkPairs, chunk, createBatch, encodePairs, selectUsablePairs, shuffled, splitValidation, type ChatPair, type EncodedPair } from './data.ts';
import { CHAT_MODEL_FORMAT, CHAT_MODEL_FORMAT_VERSION, type ChatModelMetadata } from './io.ts';
import { maskedCrossEntropy, targetMask } from './loss.ts';
import { buildSeq2SeqNetwork, createInferenceLayers, createTrainingView, disposeNetwork, layerNames, type TrainingView } from './model.ts';
import { ReplyDecoder } from './reply-decoder.ts';
import { ensureSegmentSumKernel } from './segment-sum-kernel.ts';
import { detokenize, Tokenizer } from './tokenizer.ts';
import { checkWordVectors, createEmbeddingMatrix, type WordVectors } from './word-vectors.ts';

/** What `onEpochEnd` receives after each epoch. */
export interface Seq2SeqProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean masked cross-entropy over the epoch's training tokens (nats per token). */
  loss: number;
  /** The same on the validation pairs, after the epoch; null without any. */
  valLoss: number | null;
  /** Teacher-forced share of the epoch's training target tokens predicted right (`<end>` included; `<pad>`, `<unk>` excluded). */
  tokenAccuracy: number;
  /** Greedy replies to `params.probes` with the weights at the end of the epoch. */
  probes: Array<{ input: string; reply: string }>;
}

export interface TrainSeq2SeqOptions {
  /** Hyperparameters; omitted ones take `seq2seqDefaults`. */
  params?: Partial<Seq2SeqParams>;
  /** Seeds the initial weights, the validation split and the batch order. @defaultValue random */
  seed?: number;
  /** Checked after every batch; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Pre-trained vectors for the embedding; their dimension must equal `embeddingSize`. */
  wordVectors?: WordVectors;
  /** Called (and awaited) after every epoch. */
  onEpochEnd?: (progress: Seq2SeqProgress) => void | Promise<void>;
  /**
   * Threads that share each batch on the wasm and cpu backends: this one plus `threads − 1`
   * worker threads, each with its own backend and a replica of the network, gradients averaged
   * (see `DataParallelGradients`); each gets at least 8 pairs of a batch, tfjs-node uses one.
   * @defaultValue 1
   */
  threads?: number;
}

/** Pair shards below this many pairs cost more in messaging than they save. */
const MIN_PAIRS_PER_THREAD = 8;

/** Gradients are rescaled to this global L2 norm at most: LSTMs occasionally take huge steps. */
const MAX_GRADIENT_NORM = 5;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError(signal.reason);
}

/** Lets timers and I/O run (a BullMQ worker renews its job lock from the event loop). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((name) => tf.sum(tf.square(grads[name]!)))));
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    return Object.fromEntries(names.map((name) => [name, tf.mul(grads[name]!, scale)]));
  });
}

/** One gradient step on a batch of pairs, split across the threads; returns the batch's loss, right tokens and counted tokens. */
async function trainBatch(gradients: DataParallelGradients, optimizer: tf.Optimizer, pairs: EncodedPair[]) {
  const { loss, grads, weight, extras } = await gradients.compute(splitPairs(pairs, gradients.threads));
  try {
    const clipped = clipByGlobalNorm(grads, MAX_GRADIENT_NORM);
    optimizer.applyGradients(clipped);
    tf.dispose(clipped);
  } finally {
    tf.dispose(grads);
  }
  return { loss, correct: extras[0] ?? 0, tokens: weight };
}

/** Mean masked cross-entropy per token over the pairs, without dropout; null for none. */
async function computeValidationLoss(view: TrainingView, pairs: readonly EncodedPair[], batchSize: number): Promise<number | null> {
  let weightedLoss = 0;
  let tokens = 0;
  for (const slice of chunk(pairs, batchSize)) {
    const batch = createBatch(slice);
    const [loss, count] = tf.tidy(() => {
      const logits = view.logits(batch.encoderTokens, batch.decoderTokens, false);
      const mask = targetMask(batch.targets);
      return [maskedCrossEntropy(logits, batch.targets, mask), tf.sum(mask)];
    });
    tf.dispose(Object.values(batch));
    const [lossValue, countValue] = await Promise.all([loss.data(), count!.data()]);
    tf.dispose([loss!, count!]);
    weightedLoss += lossValue[0]! * countValue[0]!;
    tokens += countValue[0]!;
    await yieldToEventLoop();
  }
  return tokens === 0 ? null : weightedLoss / tokens;
}

/**
 * Trains a seq2seq chat model on (message → reply) pairs, e.g. a friend's messages and your
 * answers. Pairs whose message or reply has no token are skipped; a seeded random
 * `validationSplit` share is held out. The vocabulary comes from the training pairs only.
 *
 * A custom loop (not `model.fit`) so that padding and `<unk>` can be left out of the loss: Adam,
 * gradients clipped to a global norm of 5, batches padded to their own longest sequences. The event
 * loop runs between batches; `signal` is checked after each. Rejects with `ModelConfigError`,
 * `ModelError` (malformed or no usable pairs), `TrainingCancelledError` or `TrainingDivergedError`
 * (non-finite loss), having disposed every tensor it made.
 */
export async function trainSeq2Seq(pairs: readonly ChatPair[], options: TrainSeq2SeqOptions = {}): Promise<ChatModel> {
  const params = validateSeq2SeqParams(options.params);
  checkPairs(pairs);
  const { wordVectors, signal, onEpochEnd } = options;
  if (wordVectors) checkWordVectors(wordVectors, params.embeddingSize);
  else if (params.freezeEmbeddings) throw new ModelConfigError('freezeEmbeddings', 'needs wordVectors: a frozen random embedding cannot learn');
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const usable = selectUsablePairs(pairs);
  if (usable.length === 0) throw new ModelError(`no usable pairs: all ${pairs.length} lack a token in their message or reply`);
  throwIfAborted(signal);
  ensureSegmentSumKernel();

  const random = createRandom(seed);
  const split = splitValidation(usable, params.validationSplit, random);
  const tokenizer = Tokenizer.fit(
    split.training.flatMap((pair) => [pair.input, pair.reply]),
    params,
  );
  const training = encodePairs(tokenizer, split.training);
  const validation = encodePairs(tokenizer, split.validation);
  const { matrix, coverage } = createEmbeddingMatrix(tokenizer, params.embeddingSize, random, wordVectors);

  const network = buildSeq2SeqNetwork(params, tokenizer.size, seed);
  const optimizer = tf.train.adam(params.learningRate);
  let gradients: DataParallelGradients | undefined;
  try {
    tf.tidy(() => network.getLayer(layerNames.embedding).setWeights([tf.tensor2d(matrix, [tokenizer.size, params.embeddingSize])]));
    const view = createTrainingView(network);
    const threads = usableTrainingThreads(options.threads ?? 1, Math.min(params.batchSize, training.length), MIN_PAIRS_PER_THREAD);
    gradients = await DataParallelGradients.start(network, threads, { kind: 'seq2seq-cross-entropy' });
    const decoder = new ReplyDecoder(createInferenceLayers(network));
    const replyToProbe = (probe: string) => detokenize(decoder.greedy(tokenizer.encodeInput(probe), params.maxReplyLength).ids.map((id) => tokenizer.tokenOf(id)));

    let last: Omit<Seq2SeqProgress, 'probes'> | undefined;
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      let weightedLoss = 0;
      let correct = 0;
      let tokens = 0;
      for (const slice of chunk(shuffled(training, random), params.batchSize)) {
        const result = await trainBatch(gradients, optimizer, slice);
        if (!Number.isFinite(result.loss)) {
          throw new TrainingDivergedError(`training diverged at epoch ${epoch}: loss ${result.loss}; try a lower learningRate (was ${params.learningRate})`);
        }
        weightedLoss += result.loss * result.tokens;
        correct += result.correct;
        tokens += result.tokens;
        throwIfAborted(signal);
        await yieldToEventLoop();
      }
      last = {
        epoch,
        epochs: params.epochs,
        loss: tokens === 0 ? 0 : weightedLoss / tokens,
        valLoss: await computeValidationLoss(view, validation, params.batchSize),
        tokenAccuracy: tokens === 0 ? 0 : correct / tokens,
      };
      throwIfAborted(signal);
      if (onEpochEnd) await onEpochEnd({ ...last, probes: params.probes.map((input) => ({ input, reply: replyToProbe(input) })) });
      throwIfAborted(signal);
    }

    const metadata: ChatModelMetadata = {
      format: CHAT_MODEL_FORMAT,
      formatVersion: CHAT_MODEL_FORMAT_VERSION,
      params,
      tokenizer: tokenizer.toJSON(),
      metrics: { epochs: params.epochs, loss: last!.loss, valLoss: last!.valLoss, tokenAccuracy: last!.tokenAccuracy },
      embeddingCoverage: coverage,
      pairs: { training: training.length, validation: validation.length, skipped: pairs.length - usable.length },
      seed,
      backend: tf.getBackend(),
      tfjsVersion: tf.version_core,
      createdAt: new Date().toISOString(),
    };
    return new ChatModel(metadata, network, tokenizer);
  } catch (error) {
    disposeNetwork(network);
    throw error;
  } finally {
    await gradients?.close();
    optimizer.dispose();
  }
}
