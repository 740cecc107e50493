import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { expectClose } from '../recurrent/testing.ts';
import { validateSeq2SeqParams } from './config.ts';
import { encodePairs } from './data.ts';
import { buildSeq2SeqNetwork, disposeNetwork } from './model.ts';
import { seq2seqCrossEntropyObjective, splitPairs } from './objective.ts';
import { smallTalkPairs } from './small-talk.ts';
import { Tokenizer } from './tokenizer.ts';

beforeAll(() => initBackend('auto'));

describe('seq2seq cross-entropy objective, data-parallel', () => {
  it('weighs seq2seq shards by their trained tokens: 2 threads give one thread’s loss, gradients and counts; no tensor left on either side', async () => {
    const params = validateSeq2SeqParams({ embeddingSize: 8, units: 12, dropout: 0, maxInputLength: 8, maxReplyLength: 8 });
    const tokenizer = Tokenizer.fit(
      smallTalkPairs.flatMap((pair) => [pair.input, pair.reply]),
      params,
    );
    const network = buildSeq2SeqNetwork(params, tokenizer.size, 9);
    const pairs = encodePairs(tokenizer, smallTalkPairs.slice(0, 13)); // shards of unequal tokens and lengths
    const baseline = tf.memory().numTensors;
    const run = async (threads: number) => {
      const pool = await DataParallelGradients.start(network, threads, seq2seqCrossEntropyObjective());
      const result = await pool.compute(splitPairs(pairs, threads));
      const replicaTensors = pool.replicaTensors;
      await pool.close();
      return { ...result, replicaTensors };
    };
    const single = await run(1);
    const parallel = await run(2);
    const again = await run(2);
    expect(parallel.weight).toBe(single.weight);
    expect(parallel.extras).toEqual(single.extras);
    expect(Math.abs(parallel.loss - single.loss) / single.loss).toBeLessThan(1e-5);
    for (const name of Object.keys(single.grads)) expectClose(parallel.grads[name]!, single.grads[name]!, name);
    expect(again.replicaTensors).toEqual(parallel.replicaTensors);
    tf.dispose([single, parallel, again].flatMap((r) => Object.values(r.grads)));
    expect(tf.memory().numTensors).toBe(baseline);
    disposeNetwork(network);
  });
});
