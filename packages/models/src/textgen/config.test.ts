import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { TrainingCancelledError } from '../errors.ts';
import { textGenPresets, validateTextGenParams } from './config.ts';
import { CorpusTooShortError, countTrainingWindows, countValidationWindows, epochOrder, splitCorpus } from './data.ts';
import { trainTextModel } from './train.ts';

beforeAll(() => initBackend('auto'));

const fieldError = (field: string, message: RegExp) => expect.objectContaining({ name: 'ModelConfigError', field, message: expect.stringMatching(message) });

describe('text generator params', () => {
  it('fills omitted fields from the preset', () => {
    expect(validateTextGenParams()).toEqual(textGenPresets.default);
    expect(validateTextGenParams({}, 'talk')).toMatchObject({ cell: 'gru', layers: 3, units: 512, seqLength: 30, batchSize: 200, dropout: 0.2 });
    expect(validateTextGenParams({ units: 32, cell: 'lstm' })).toEqual({ ...textGenPresets.default, units: 32, cell: 'lstm' });
  });

  it('takes step = seqLength unless step is given', () => {
    expect(validateTextGenParams({ seqLength: 20 })).toMatchObject({ seqLength: 20, step: 20 });
    expect(validateTextGenParams({ seqLength: 20 }, 'talk')).toMatchObject({ seqLength: 20, step: 20 });
    expect(validateTextGenParams({ seqLength: 20, step: 3 })).toMatchObject({ seqLength: 20, step: 3 });
  });

  it.each([
    [{ cell: 'rnn' }, 'cell', /must be one of gru, lstm, got rnn/],
    [{ layers: 4 }, 'layers', /must be <= 3, got 4/],
    [{ layers: 0 }, 'layers', /must be >= 1, got 0/],
    [{ units: 16.5 }, 'units', /must be an integer/],
    [{ seqLength: 1 }, 'seqLength', /must be >= 2/],
    [{ step: 0 }, 'step', /must be >= 1/],
    [{ seqLength: 20, step: 21 }, 'step', /must be <= seqLength \(20\), got 21/],
    [{ dropout: 0.9 }, 'dropout', /must be < 0.9, got 0.9/],
    [{ dropout: -0.1 }, 'dropout', /must be >= 0/],
    [{ batchSize: 2000 }, 'batchSize', /must be <= 1024/],
    [{ epochs: Number.NaN }, 'epochs', /must be a finite number/],
    [{ learningRate: 0 }, 'learningRate', /must be > 0/],
    [{ validationSplit: 0.6 }, 'validationSplit', /must be <= 0.5/],
    [{ checkpointEverySteps: -1 }, 'checkpointEverySteps', /must be >= 0/],
    [{ hidden: 3 }, 'hidden', /is not a text generator parameter/],
  ])('rejects %j naming %s', (params, field, message) => {
    expect(() => validateTextGenParams(params as never)).toThrow(fieldError(field, message));
  });

  it('rejects an unknown preset', () => {
    expect(() => validateTextGenParams({}, 'huge' as never)).toThrow(fieldError('preset', /must be one of default, talk/));
  });

  it('rejects bad training options before building anything', async () => {
    const baseline = tf.memory().numTensors;
    const text = 'abcdefghij'.repeat(20);
    await expect(trainTextModel(text, { params: { layers: 5 } })).rejects.toThrow(fieldError('layers', /must be <= 3/));
    await expect(trainTextModel(text, { seed: -1 })).rejects.toThrow(fieldError('seed', /must be >= 0/));
    await expect(trainTextModel(text, { sampleLength: 2001 })).rejects.toThrow(fieldError('sampleLength', /must be <= 2000/));
    await expect(trainTextModel(text, { sampleTemperature: 0 })).rejects.toThrow(fieldError('sampleTemperature', /must be > 0/));
    await expect(trainTextModel(text, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('says how much text a window and the validation part need', async () => {
    await expect(trainTextModel('x'.repeat(60), { params: { seqLength: 40, validationSplit: 0.1 } })).rejects.toThrow(
      new CorpusTooShortError(60, 410, 'seqLength 40 with validationSplit 0.1 (a window of 41 in each part)'),
    );
    await expect(trainTextModel('x'.repeat(30), { params: { seqLength: 40, validationSplit: 0 } })).rejects.toThrow('text has 30 characters; seqLength 40 needs at least 41');
    expect(() => splitCorpus(new Int32Array(410), { seqLength: 40, validationSplit: 0.1 })).not.toThrow();
    expect(() => splitCorpus(new Int32Array(409), { seqLength: 40, validationSplit: 0.1 })).toThrow(CorpusTooShortError);
  });

  it('computes the length a tiny validation split needs instead of counting up to it', () => {
    // Counting up to 6.1 billion held the worker's event loop for tens of seconds.
    expect(() => splitCorpus(new Int32Array(1000), { seqLength: 60, validationSplit: 1e-8 })).toThrow(
      new CorpusTooShortError(1000, 6_100_000_000, 'seqLength 60 with validationSplit 1e-8 (a window of 61 in each part)'),
    );
    for (const [seqLength, validationSplit] of [
      [2, 0.5],
      [7, 0.3],
      [200, 0.001],
      [59, 0.123],
    ] as const) {
      let counted = seqLength + 1;
      const fits = (n: number) => n - Math.floor(n * validationSplit) >= seqLength + 1 && Math.floor(n * validationSplit) >= seqLength + 1;
      while (!fits(counted)) counted++;
      expect(() => splitCorpus(new Int32Array(counted - 1), { seqLength, validationSplit })).toThrow(`needs at least ${counted}`);
      expect(() => splitCorpus(new Int32Array(counted), { seqLength, validationSplit })).not.toThrow();
    }
  });
});

describe('training windows', () => {
  it('splits off a contiguous validation tail and counts the windows that fit', () => {
    const codes = Int32Array.from({ length: 100 }, (_, i) => i);
    const { train, validation } = splitCorpus(codes, { seqLength: 9, validationSplit: 0.2 });
    expect(Array.from(validation)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect(train.length).toBe(80);
    // Starts 0, 5, …, 70: the last window covers characters 70–79 (9 inputs + 1 target).
    expect(countTrainingWindows(80, { seqLength: 9, step: 5 })).toBe(15);
    expect(countTrainingWindows(80, { seqLength: 9, step: 9 })).toBe(8);
    // Validation windows tile every 9 characters: starts 0 and 9 (the second ends at character 18 of 20).
    expect(countValidationWindows(20, 9)).toBe(2);
    expect(countValidationWindows(9, 9)).toBe(0);
  });

  it('derives each epoch order from the seed and the epoch alone', () => {
    const order = Array.from(epochOrder(50, 7, 3));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(epochOrder(50, 7, 3))).toEqual(order);
    expect(Array.from(epochOrder(50, 7, 4))).not.toEqual(order);
    expect(Array.from(epochOrder(50, 8, 3))).not.toEqual(order);
  });
});
