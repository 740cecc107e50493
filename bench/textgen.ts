// `npm run bench` sections `textgen` (training and generation speed of the character model, presets
// default and talk) and `textgen-quality` (validation bits per character after a fixed training budget).
import * as tf from '@tensorflow/tfjs-core';
import { findBuiltinTextDataset, unigramCrossEntropyBits } from '@mlq/datasets';
import {
  loadLayersModel,
  loadTextModel,
  memoryArtifacts,
  trainTextModel,
  TrainingCancelledError,
  unigramEntropyBits,
  type TextGenParams,
  type TextGenPresetName,
  type TextModel,
  type TextTrainStep,
} from '@mlq/models';
import { modelBackend, secondsSince, withTensorCount, type ModelBenchOptions } from './model-common.ts';

const SEED = 1;
const SEED_TEXT = 'ROMEO:';

const describe = (p: TextGenParams) => `${p.cell.toUpperCase()} ${p.layers}×${p.units}, seq ${p.seqLength}, batch ${p.batchSize}${p.dropout > 0 ? `, dropout ${p.dropout}` : ''}`;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

interface TextRun {
  model: TextModel;
  /** `performance.now()` when trainTextModel was called, and at each onStep (step 1 first). */
  started: number;
  stepEnds: number[];
  lastStep: TextTrainStep;
  /** Bits per character of each step's training batch. */
  stepBits: number[];
}

/**
 * Trains until `stop` says so after a step, and returns the model as it stands after that step.
 * trainTextModel hands no model back when its signal aborts, so the checkpoint hook (called after
 * every step with `checkpointEverySteps: 1`, a no-op until then) saves the stopping step's weights
 * to memory and aborts; the model is loaded from that checkpoint (`loadTextModel` reads one). A run
 * whose epochs end first returns trainTextModel's own model.
 */
async function trainTextUntil(
  text: string,
  options: { preset: TextGenPresetName; params?: Partial<TextGenParams> },
  stop: (run: { step: number; started: number; stepEnds: number[] }) => boolean,
): Promise<TextRun> {
  const controller = new AbortController();
  const checkpoint = memoryArtifacts();
  const stepEnds: number[] = [];
  const stepBits: number[] = [];
  let lastStep: TextTrainStep | undefined;
  let stopping = false;
  const started = performance.now();
  try {
    const model = await trainTextModel(text, {
      preset: options.preset,
      params: { ...options.params, checkpointEverySteps: 1 },
      seed: SEED,
      sampleLength: 0,
      signal: controller.signal,
      onStep: (progress) => {
        stepEnds.push(performance.now());
        stepBits.push(progress.bitsPerChar);
        lastStep = progress;
        stopping ||= stop({ step: progress.step, started, stepEnds });
      },
      checkpoint: async ({ save }) => {
        if (!stopping) return;
        await save(checkpoint);
        controller.abort(new Error('bench: enough steps'));
      },
    });
    return { model, started, stepEnds, lastStep: lastStep!, stepBits };
  } catch (error) {
    if (!stopping || !(error instanceof TrainingCancelledError)) throw error;
  }
  return { model: await loadTextModel(checkpoint), started, stepEnds, lastStep: lastStep!, stepBits };
}

/**
 * Mean cross-entropy, in bits per character, of the held-out tail of `text` (the last
 * `validationSplit` share of its characters, never trained on), computed as trainTextModel's
 * epoch-end validation does: windows of `seqLength` tiling the tail, each read from zero states,
 * every position scored on the next character. The library exports no evaluation of a trained
 * model, so this runs its saved tfjs-layers network (`predict` gives next-character logits).
 */
export async function validationBitsPerChar(model: TextModel, text: string): Promise<{ bits: number; characters: number; windows: number }> {
  const { seqLength, validationSplit } = model.params;
  const size = model.vocabulary.size;
  const codes = model.vocabulary.encode(text);
  const validation = codes.subarray(codes.length - Math.floor(codes.length * validationSplit));
  const windows = validation.length > seqLength ? Math.floor((validation.length - 1) / seqLength) : 0;
  if (windows === 0) throw new Error('the validation part holds no window');
  const io = memoryArtifacts();
  await model.save(io);
  const network = await loadLayersModel(io);
  try {
    const batchSize = 128;
    let nats = 0;
    for (let first = 0; first < windows; first += batchSize) {
      const count = Math.min(batchSize, windows - first);
      const inputs = new Int32Array(count * seqLength);
      const targets = new Int32Array(count * seqLength);
      for (let b = 0; b < count; b++) {
        for (let t = 0; t < seqLength; t++) {
          inputs[b * seqLength + t] = validation[(first + b) * seqLength + t]!;
          targets[b * seqLength + t] = validation[(first + b) * seqLength + t + 1]!;
        }
      }
      const sum = tf.tidy(() => {
        const logits = network.predict(tf.oneHot(tf.tensor2d(inputs, [count, seqLength], 'int32'), size)) as tf.Tensor3D;
        return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(targets, [count, seqLength], 'int32'), size))));
      });
      nats += (await sum.data())[0]!;
      sum.dispose();
    }
    const characters = windows * seqLength;
    return { bits: nats / characters / Math.LN2, characters, windows };
  } finally {
    network.dispose();
  }
}

/** Training windows/s and characters/s of presets default and talk, then characters generated per second. */
export async function benchTextgen({ quick }: ModelBenchOptions): Promise<void> {
  const backend = await modelBackend();
  const text = await findBuiltinTextDataset('tinyshakespeare')!.load();
  const runs: Array<{ preset: TextGenPresetName; params: Partial<TextGenParams>; maxTimedSteps: number; timeCapSeconds: number; generate: number; note: string }> = [
    { preset: 'default', params: { epochs: 1 }, maxTimedSteps: quick ? 2 : 15, timeCapSeconds: 60, generate: quick ? 50 : 500, note: '' },
    {
      preset: 'talk',
      params: quick ? { epochs: 1, units: 64, batchSize: 20 } : { epochs: 1 },
      maxTimedSteps: quick ? 1 : 10,
      timeCapSeconds: 60,
      generate: quick ? 50 : 200,
      note: quick ? ' [quick: talk shrunk to 64 units, batch 20]' : '',
    },
  ];
  for (const run of runs) {
    await withTensorCount(`textgen ${run.preset}`, async () => {
      const trained = await trainTextUntil(
        text,
        { preset: run.preset, params: run.params },
        ({ step, stepEnds }) => step >= 1 + run.maxTimedSteps || (step >= 2 && (performance.now() - stepEnds[0]!) / 1000 >= run.timeCapSeconds),
      );
      const { model, stepEnds, started } = trained;
      try {
        const p = model.params;
        const timedSteps = stepEnds.length - 1;
        const timedSeconds = (stepEnds.at(-1)! - stepEnds[0]!) / 1000;
        const windowsPerSecond = (timedSteps * p.batchSize) / timedSeconds;
        console.log(
          `textgen training, preset ${run.preset} (${describe(p)})${run.note} on ${backend}: ` +
            `${windowsPerSecond.toFixed(1)} windows/s, ${thousands(windowsPerSecond * p.seqLength)} chars/s ` +
            `(${timedSteps} timed step${timedSteps === 1 ? '' : 's'} after 1 warm-up step, at most ${run.maxTimedSteps} or until one ends past ${run.timeCapSeconds} s: ` +
            `${(timedSeconds / timedSteps).toFixed(2)} s/step; warm-up step incl. building the network ${((stepEnds[0]! - started) / 1000).toFixed(1)} s)`,
        );
        await model.generate({ seedText: SEED_TEXT, length: 10, randomSeed: 1 }); // warm-up
        const generateStart = performance.now();
        const generated = await model.generate({ seedText: SEED_TEXT, length: run.generate, temperature: 1, randomSeed: 42 });
        const seconds = secondsSince(generateStart);
        console.log(
          `textgen generation, preset ${run.preset}${run.note}: ${(Array.from(generated).length / seconds).toFixed(1)} chars/s ` +
            `(${Array.from(generated).length} chars after the seed "${SEED_TEXT}", temperature 1, randomSeed 42, in ${seconds.toFixed(2)} s; ` +
            `model after ${stepEnds.length} training steps)`,
        );
      } finally {
        model.dispose();
      }
    });
  }
}

/** Validation bits per character on tiny Shakespeare after a fixed wall-clock training budget, preset default. */
export async function benchTextgenQuality({ quick }: ModelBenchOptions): Promise<void> {
  const backend = await modelBackend();
  const text = await findBuiltinTextDataset('tinyshakespeare')!.load();
  const budgetSeconds = quick ? 10 : 180;
  await withTensorCount('textgen-quality', async () => {
    const { model, stepEnds, started, lastStep, stepBits } = await trainTextUntil(text, { preset: 'default' }, ({ started }) => secondsSince(started) >= budgetSeconds);
    try {
      const trainedSeconds = (stepEnds.at(-1)! - started) / 1000;
      const evaluateStart = performance.now();
      const validation = await validationBitsPerChar(model, text);
      const evaluateSeconds = secondsSince(evaluateStart);
      const p = model.params;
      const characters = Array.from(text);
      const cut = characters.length - Math.floor(characters.length * p.validationSplit);
      const unigramOnValidation = unigramCrossEntropyBits(characters.slice(0, cut).join(''), characters.slice(cut).join(''));
      const recent = stepBits.slice(-50);
      console.log(
        `textgen quality, preset default (${describe(p)}, lr ${p.learningRate}, seed ${SEED}) on ${backend}, ${budgetSeconds} s training budget: ` +
          `validation ${validation.bits.toFixed(3)} bits/char after ${lastStep.step} steps (${(lastStep.step / lastStep.stepsPerEpoch).toFixed(2)} of an epoch of ${lastStep.stepsPerEpoch} steps, ` +
          `stopped after the first step to end past the budget: ${trainedSeconds.toFixed(1)} s from the call)`,
      );
      console.log(
        `  validation: the last ${p.validationSplit * 100}% of the corpus, never trained on, ${thousands(validation.characters)} chars scored in ${validation.windows} windows of ${p.seqLength} from zero states ` +
          `(as trainTextModel's epoch-end validation; ${evaluateSeconds.toFixed(1)} s); training batches of the last ${recent.length} steps: ` +
          `${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3)} bits/char`,
      );
      console.log(
        `  for comparison: corpus unigram entropy ${unigramEntropyBits(text).toFixed(3)} bits/char; the validation part under the training part's unigram model ` +
          `${unigramOnValidation.toFixed(3)} bits/char`,
      );
    } finally {
      model.dispose();
    }
  });
}
