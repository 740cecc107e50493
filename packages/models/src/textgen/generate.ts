import { Type } from '@sinclair/typebox';
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, ModelError } from '../errors.ts';
import { EventLoopYielder } from '../event-loop.ts';
import { createRandom } from '../samples/synthetic.ts';
import { checkOption, generationDefaults, textGenPredictFields } from '@mlq/specs';
import type { TextNetworkWeights } from './network.ts';
import { randomSeed } from '../random.ts';
import { stepOneCharacter, zeroStates, type LayerState } from './recurrent.ts';
import { sampleIndex } from './sampling.ts';
import type { CharVocabulary } from './vocabulary.ts';

/** Options of `TextModel.generate`. */
export interface GenerateTextOptions {
  /**
   * Text the network reads before it writes (1–10,000 characters). Characters outside the
   * vocabulary are read as all-zero inputs (see `UNKNOWN_CHAR_INDEX`).
   */
  seedText: string;
  /** Characters to generate, 1–2000. */
  length: number;
  /** Softmax temperature in (0, 2]: lower is more conservative. @defaultValue 1 */
  temperature?: number;
  /** Sample among the k most likely characters only (integer ≥ 1; above the vocabulary size: all). */
  topK?: number;
  /** Seeds the sampling: the same seed, seed text and options give the same text. @defaultValue a random seed */
  randomSeed?: number;
  /** Receives the generated text as it is produced, one character per call; awaited. */
  onText?: (chunk: string) => void | Promise<void>;
  /** Checked between network steps; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
}

/** Checks `options` against the family spec's predict fields; throws `ModelConfigError` naming the field. */
export function validateGenerateTextOptions(options: GenerateTextOptions): GenerateTextOptions & { temperature: number } {
  if (typeof options.seedText !== 'string') throw new ModelConfigError('seedText', `must be a string, got ${typeof options.seedText}`);
  const { seedText, length, temperature: temperatureField, topK } = textGenPredictFields;
  // Counted in code points, as the API's schema validator counts a string's length.
  checkOption('seedText', Type.Integer({ minimum: seedText.minLength, maximum: seedText.maxLength }), Array.from(options.seedText).length);
  checkOption('length', length, options.length);
  const temperature = checkOption('temperature', temperatureField, options.temperature ?? generationDefaults.temperature);
  if (options.topK !== undefined) checkOption('topK', topK, options.topK);
  if (options.randomSeed !== undefined && !Number.isSafeInteger(options.randomSeed)) {
    throw new ModelConfigError('randomSeed', `must be an integer, got ${options.randomSeed}`);
  }
  return { ...options, temperature };
}

/**
 * Reads the seed text one character at a time from zero states, then samples `length` characters,
 * feeding each back in. Every step's tensors are freed as it goes; only the layer states live
 * across steps. `isDisposed` is polled so a model disposed mid-generation fails cleanly.
 */
export async function generateText(weights: TextNetworkWeights, vocabulary: CharVocabulary, options: GenerateTextOptions, isDisposed: () => boolean = () => false): Promise<string> {
  const { seedText, length, temperature, topK, onText } = validateGenerateTextOptions(options);
  const random = createRandom(options.randomSeed ?? randomSeed());
  // Returns to the event loop every few tens of milliseconds of network steps, however big the network.
  const yielder = new EventLoopYielder(options.signal);
  const seed = vocabulary.encode(seedText);
  let states: LayerState[] = zeroStates(weights, 1);
  let generated = '';
  try {
    let input = seed[0]!;
    for (let position = 1; position < seed.length + length; position++) {
      await yielder.maybeYield();
      if (isDisposed()) throw new ModelError('the text model was disposed during generation');
      const wantLogits = position >= seed.length;
      const step = stepOneCharacter(weights, input, states, wantLogits);
      tf.dispose(states);
      states = step.states;
      if (!step.logits) {
        input = seed[position]!;
        continue;
      }
      const logits = await step.logits.data();
      step.logits.dispose();
      if (!logits.every(Number.isFinite)) throw new ModelError('the text network produced non-finite logits');
      input = sampleIndex(logits, temperature, random, topK);
      const character = vocabulary.character(input);
      generated += character;
      await onText?.(character);
    }
    // The last character is sampled but never fed back: nothing reads the state after it.
    return generated;
  } finally {
    tf.dispose(states);
  }
}
