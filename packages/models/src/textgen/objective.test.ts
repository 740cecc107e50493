import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { expectClose } from '../recurrent/testing.ts';
import { createRandom } from '../samples/synthetic.ts';
import { buildTextNetwork } from './network.ts';
import { splitWindows, textCrossEntropyObjective, type TextObjectiveOptions } from './objective.ts';

beforeAll(() => initBackend('auto'));

const vocabularySize = 9;
const seqLength = 10;

/** A corpus of random character indices, in memory that threads share (as training passes it to more than one). */
function sharedCorpus(length: number): Int32Array {
  const random = createRandom(5);
  const codes = new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
  for (let i = 0; i < length; i++) codes[i] = Math.floor(random() * vocabularySize);
  return codes;
}

describe('text cross-entropy objective, data-parallel', () => {
  it.each(['lstm', 'gru'] as const)('%s: 2 and 3 threads give one thread’s loss, gradients and window count; no tensor left on either side', async (cell) => {
    const network = buildTextNetwork({ cell, layers: 2, units: 6 }, vocabularySize, 3);
    const options: TextObjectiveOptions = { codes: sharedCorpus(240), cell, vocabularySize, seqLength, dropout: 0 };
    const starts = Array.from({ length: 23 }, (_, i) => i * 9); // 23 windows: shards of unequal size
    const baseline = tf.memory().numTensors;
    const run = async (threads: number) => {
      const pool = await DataParallelGradients.start(network, threads, textCrossEntropyObjective(options));
      const result = await pool.compute(splitWindows(starts, threads), 7);
      const replicaTensors = pool.replicaTensors;
      await pool.close();
      return { ...result, replicaTensors };
    };
    const single = await run(1);
    for (const threads of [2, 3]) {
      const parallel = await run(threads);
      const again = await run(threads);
      expect(parallel.weight).toBe(starts.length);
      expect(single.weight).toBe(starts.length);
      expect(Math.abs(parallel.loss - single.loss) / single.loss).toBeLessThan(1e-5);
      expect(Object.keys(parallel.grads)).toEqual(Object.keys(single.grads));
      for (const name of Object.keys(single.grads)) expectClose(parallel.grads[name]!, single.grads[name]!, name);
      expect(parallel.replicaTensors).toHaveLength(threads - 1);
      expect(again.replicaTensors).toEqual(parallel.replicaTensors);
      tf.dispose([parallel, again].flatMap((r) => Object.values(r.grads)));
    }
    tf.dispose(Object.values(single.grads));
    expect(tf.memory().numTensors).toBe(baseline);
    network.dispose();
  });

  it('splits windows into near-equal shards, never more than there are windows', () => {
    expect(splitWindows([1, 2, 3, 4, 5], 2)).toEqual([{ starts: [1, 2, 3] }, { starts: [4, 5] }]);
    expect(splitWindows([1], 3)).toEqual([{ starts: [1] }]);
  });
});
