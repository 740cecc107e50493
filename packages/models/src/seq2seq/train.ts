// Gradients (variableGrads) need the kernels the tfjs umbrella registers.
import '../tfjs-setup.ts';
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, ModelError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import { AdamOptimizer } from '../checkpoint/adam.ts';
import { fingerprintText, sameFingerprint } from '../checkpoint/files.ts';
import { createCheckpointer, type CheckpointHook, type TrainingCheckpoint } from '../checkpoint/hook.ts';
import { trainableVariables } from '../parallel/shard-gradients.ts';
import { deriveSeed, RandomStream } from '../random.ts';
import {
  CHAT_CHECKPOINT_FORMAT,
  CHAT_CHECKPOINT_FORMAT_VERSION,
  readChatCheckpoint,
  writeChatCheckpoint,
  type ChatCheckpointState,
  type ChatEpochMetrics,
  type ChatTrainingPosition,
} from './checkpoint.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { usableTrainingThreads } from '../parallel/threads.ts';
import { createRandom } from '../samples/synthetic.ts';
import { ChatModel } from './chat-model.ts';
import { validateSeq2SeqParams, type Seq2SeqParams } from './config.ts';
import { checkPairs, chunk, createBatch, encodePairs, selectUsablePairs, shuffled, splitValidation, type ChatPair, type EncodedPair } from './data.ts';
import { CHAT_MODEL_FORMAT, CHAT_MODEL_FORMAT_VERSION, type ChatModelMetadata } from './io.ts';
import { maskedCrossEntropy, targetMask } from './loss.ts';
import { seq2seqCrossEntropyObjective, splitPairs, type PairShard } from './objective.ts';
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

export interface TrainChatModelOptions {
  /** Hyperparameters; omitted ones take `seq2seqDefaults`. */
  params?: Partial<Seq2SeqParams>;
  /** Seeds the initial weights, the validation split and the batch order (per epoch). @defaultValue random; a resumed run keeps its checkpoint's */
  seed?: number;
  /** Checked after every batch; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Pre-trained vectors for the embedding; their dimension must equal `embeddingSize`. */
  wordVectors?: WordVectors;
  /** Called (and awaited) after every epoch, after its checkpoint. */
  onEpochEnd?: (progress: Seq2SeqProgress) => void | Promise<void>;
  /**
   * Called (and awaited) at each epoch end and when `signal` aborts between batches; call
   * `save(io)` to persist (see `writeChatCheckpoint` for the files).
   */
  checkpoint?: CheckpointHook;
  /** A checkpoint (written through `checkpoint`) to continue from, with the same pairs, word vectors and params (`epochs` may differ). */
  resumeFrom?: ArtifactIO;
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

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError(signal.reason);
}

/** Lets timers and I/O run (a BullMQ worker renews its job lock from the event loop). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One gradient step on a batch of pairs, split across the threads; returns the batch's loss, right tokens and counted tokens. */
async function trainBatch(gradients: DataParallelGradients<PairShard>, optimizer: AdamOptimizer, pairs: EncodedPair[]) {
  const { loss, grads, weight, extras } = await gradients.compute(splitPairs(pairs, gradients.threads));
  try {
    optimizer.applyGradients(grads); // clipped to a global norm of 5 first
  } finally {
    tf.dispose(grads);
  }
  return { loss, correct: extras[0] ?? 0, tokens: weight };
}

/** Mean masked cross-entropy per token over the pairs, without dropout; null for none. */
async function computeValidationLoss(view: TrainingView, pairs: readonly EncodedPair[], batchSize: number, signal: AbortSignal | undefined): Promise<number | null> {
  let weightedLoss = 0;
  let tokens = 0;
  for (const slice of chunk(pairs, batchSize)) {
    throwIfAborted(signal);
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
export async function trainChatModel(pairs: readonly ChatPair[], options: TrainChatModelOptions = {}): Promise<ChatModel> {
  const params = validateSeq2SeqParams(options.params);
  checkPairs(pairs);
  const { wordVectors, signal, onEpochEnd } = options;
  if (wordVectors) checkWordVectors(wordVectors, params.embeddingSize);
  else if (params.freezeEmbeddings) throw new ModelConfigError('freezeEmbeddings', 'needs wordVectors: a frozen random embedding cannot learn');
  const usable = selectUsablePairs(pairs);
  if (usable.length === 0) throw new ModelError(`no usable pairs: all ${pairs.length} lack a token in their message or reply`);
  throwIfAborted(signal);
  ensureSegmentSumKernel();
  const resume = options.resumeFrom ? await readChatCheckpoint(options.resumeFrom) : undefined;
  try {
    if (resume) checkResumable(resume.state, pairs, params, options);
  } catch (error) {
    disposeNetwork(resume!.network);
    throw error;
  }
  const seed = resume?.state.seed ?? options.seed ?? Math.floor(Math.random() * 2 ** 31);

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
  let optimizer: AdamOptimizer | undefined;
  let gradients: DataParallelGradients<PairShard> | undefined;
  try {
    tf.tidy(() => network.getLayer(layerNames.embedding).setWeights([tf.tensor2d(matrix, [tokenizer.size, params.embeddingSize])]));
    if (resume) {
      if (JSON.stringify(tokenizer.toJSON()) !== JSON.stringify(resume.state.tokenizer))
        throw new ModelError('resumeFrom: the checkpoint was trained with another vocabulary (other pairs or word vectors)');
      for (const layer of network.layers) if (layer.weights.length > 0) layer.setWeights(resume.network.getLayer(layer.name).getWeights());
    }
    optimizer = new AdamOptimizer(trainableVariables(network), params.learningRate, resume?.optimizer);
    const view = createTrainingView(network);
    const threads = usableTrainingThreads(options.threads ?? 1, Math.min(params.batchSize, training.length), MIN_PAIRS_PER_THREAD);
    gradients = await DataParallelGradients.start(network, threads, seq2seqCrossEntropyObjective());
    const decoder = new ReplyDecoder(createInferenceLayers(network));
    const replyToProbe = (probe: string) => detokenize(decoder.greedy(tokenizer.encodeInput(probe), params.maxReplyLength).ids.map((id) => tokenizer.tokenOf(id)));
    const position: ChatTrainingPosition = resume
      ? structuredClone(resume.state.position)
      : { step: 0, epoch: 0, batchInEpoch: 0, epochLossSum: 0, epochCorrect: 0, epochTokens: 0, history: [] };

    const metadataNow = (): ChatModelMetadata => {
      const last = position.history.at(-1);
      return {
        format: CHAT_MODEL_FORMAT,
        formatVersion: CHAT_MODEL_FORMAT_VERSION,
        params,
        tokenizer: tokenizer.toJSON(),
        metrics: { epochs: position.history.length, loss: last?.loss ?? 0, valLoss: last?.valLoss ?? null, tokenAccuracy: last?.tokenAccuracy ?? 0 },
        embeddingCoverage: coverage,
        pairs: { training: training.length, validation: validation.length, skipped: pairs.length - usable.length },
        seed,
        backend: tf.getBackend(),
        tfjsVersion: tf.version_core,
        createdAt: new Date().toISOString(),
      };
    };
    const adam = optimizer;
    const checkpointer = createCheckpointer(options.checkpoint, async (io) => {
      await writeChatCheckpoint(io, {
        state: {
          format: CHAT_CHECKPOINT_FORMAT,
          formatVersion: CHAT_CHECKPOINT_FORMAT_VERSION,
          params,
          seed,
          tokenizer: tokenizer.toJSON(),
          pairs: fingerprintPairs(pairs),
          position: structuredClone(position),
          optimizer: { step: adam.step, shapes: adam.variables.map((v) => [...v.shape]) },
          createdAt: new Date().toISOString(),
        },
        metadata: metadataNow(),
        network,
        optimizer: await adam.readState(),
      });
    });
    if (position.step > 0) checkpointer.resumedAt(position.step);
    const checkpoint = (reason: TrainingCheckpoint['reason']) => checkpointer.offer(reason, position.step, position.history.length);

    const trainEpochs = async () => {
      while (position.epoch < params.epochs) {
        // The epoch's order derives from the seed and the epoch number: a resumed run draws the same.
        const batches = chunk(shuffled(training, createRandom(deriveSeed(seed, RandomStream.shuffle, position.epoch))), params.batchSize);
        while (position.batchInEpoch < batches.length) {
          throwIfAborted(signal);
          const result = await trainBatch(gradients!, adam, batches[position.batchInEpoch]!);
          if (!Number.isFinite(result.loss)) {
            throw new TrainingDivergedError(`training diverged at epoch ${position.epoch + 1}: loss ${result.loss}; try a lower learningRate (was ${params.learningRate})`);
          }
          position.step++;
          position.batchInEpoch++;
          position.epochLossSum += result.loss * result.tokens;
          position.epochCorrect += result.correct;
          position.epochTokens += result.tokens;
          await yieldToEventLoop();
        }
        const tokens = position.epochTokens;
        const metrics: ChatEpochMetrics = {
          epoch: position.epoch + 1,
          epochs: params.epochs,
          loss: tokens === 0 ? 0 : position.epochLossSum / tokens,
          valLoss: await computeValidationLoss(view, validation, params.batchSize, signal),
          tokenAccuracy: tokens === 0 ? 0 : position.epochCorrect / tokens,
        };
        position.history.push(metrics);
        position.epoch++;
        position.batchInEpoch = 0;
        position.epochLossSum = 0;
        position.epochCorrect = 0;
        position.epochTokens = 0;
        await checkpoint('epoch');
        throwIfAborted(signal);
        if (onEpochEnd) {
          const probes: Seq2SeqProgress['probes'] = [];
          for (const input of params.probes) {
            probes.push({ input, reply: replyToProbe(input) });
            await yieldToEventLoop();
          }
          await onEpochEnd({ ...metrics, probes });
        }
        throwIfAborted(signal);
      }
    };
    try {
      await trainEpochs();
    } catch (error) {
      // Released or cancelled between batches: where the run stands is a checkpoint to go on from.
      if (error instanceof TrainingCancelledError) await checkpoint('abort');
      throw error;
    }
    return new ChatModel(metadataNow(), network, tokenizer);
  } catch (error) {
    disposeNetwork(network);
    throw error;
  } finally {
    if (resume) disposeNetwork(resume.network);
    await gradients?.close();
    optimizer?.dispose();
  }
}

/** Fingerprint of the pairs as given (before skipping): a resumed run must be given the same. */
function fingerprintPairs(pairs: readonly ChatPair[]) {
  return fingerprintText(JSON.stringify(pairs.map((pair) => [pair.input, pair.reply])));
}

function checkResumable(state: ChatCheckpointState, pairs: readonly ChatPair[], params: Seq2SeqParams, options: TrainChatModelOptions): void {
  if (!sameFingerprint(state.pairs, fingerprintPairs(pairs))) throw new ModelError('resumeFrom: the checkpoint was trained on other pairs');
  if (options.seed !== undefined && options.seed !== state.seed) throw new ModelConfigError('seed', `differs from the checkpoint's (${state.seed}); a resumed run keeps its seed`);
  for (const field of Object.keys(params) as Array<keyof Seq2SeqParams>) {
    if (field !== 'epochs' && JSON.stringify(params[field]) !== JSON.stringify(state.params[field])) {
      throw new ModelConfigError(field, `differs from the checkpoint's (${JSON.stringify(state.params[field])}); a resumed run may change only epochs`);
    }
  }
}
