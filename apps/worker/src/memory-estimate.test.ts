import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { generateSeasonalSeries, initBackend, setRecurrentImplementation, smallTalkPairs, trainPriceModel, trainChatModel, trainTextModel } from '@mlq/models';
import { estimatePriceTraining, estimateSeq2SeqTraining, estimateTextGenTraining, formatBytes, type MemoryEstimate } from '@mlq/jobs';

/**
 * Calibrates `packages/jobs/src/memory-estimate.ts` against tfjs: trains small configurations of
 * each family on the wasm backend, one thread (every tensor in this thread's engine), and checks
 * that the estimate is above the measured peak (`tf.profile().peakBytes`: the engine's live bytes
 * after every kernel) and within 4× of it. The figures are printed for the README.
 */

const corpus = readFileSync(new URL('../../../packages/models/src/textgen/fixtures/tiny-shakespeare-excerpt.txt', import.meta.url), 'utf8');
const figures: string[] = [];

beforeAll(async () => {
  await initBackend('wasm');
  setRecurrentImplementation('auto');
});

afterAll(() => {
  console.log(`memory estimate calibration (wasm, one thread):\n${figures.join('\n')}`);
});

async function measurePeak(train: () => Promise<{ dispose(): void }>): Promise<number> {
  const before = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    const model = await train();
    model.dispose();
    return [];
  });
  expect(tf.memory().numBytes).toBe(before);
  return profile.peakBytes - before;
}

function check(label: string, measured: number, estimate: MemoryEstimate): void {
  figures.push(`  ${label}: measured ${formatBytes(measured)}, estimated ${formatBytes(estimate.heapBytes)} (${(estimate.heapBytes / measured).toFixed(2)}×)`);
  expect(estimate.heapBytes).toBeGreaterThan(measured);
  expect(estimate.heapBytes).toBeLessThan(4 * measured);
}

describe('memory estimates against measured peaks', () => {
  const series = generateSeasonalSeries({ length: 400, seed: 3 });
  const priceCases = [
    { window: 20, units1: 16, units2: 16, batchSize: 64 },
    { window: 50, units1: 50, units2: 100, batchSize: 128 },
    { window: 120, units1: 32, units2: 64, batchSize: 200 },
  ];
  for (const params of priceCases) {
    it(`price LSTM ${JSON.stringify(params)}`, async () => {
      const full = { ...params, epochs: 1, validationSplit: 0.1 };
      const measured = await measurePeak(() => trainPriceModel(series, { kind: 'lstm', params: full, horizon: 10, seed: 1, threads: 1 }));
      check(
        `price window ${params.window}, units ${params.units1}/${params.units2}, batch ${params.batchSize}`,
        measured,
        estimatePriceTraining({ params: full, seriesLength: series.length }, 1),
      );
    });
  }

  const distinctCharacters = new Set(corpus).size;
  const textCases = [
    { cell: 'gru', layers: 1, units: 64, seqLength: 40, batchSize: 32 },
    { cell: 'lstm', layers: 2, units: 96, seqLength: 30, batchSize: 64 },
    { cell: 'gru', layers: 3, units: 128, seqLength: 60, batchSize: 48 },
  ] as const;
  for (const params of textCases) {
    it(`text generator ${JSON.stringify(params)}`, async () => {
      const full = { ...params, epochs: 1, validationSplit: 0.05, checkpointEverySteps: 0 };
      const text = corpus.slice(0, 20_000);
      const measured = await measurePeak(() => trainTextModel(text, { params: full, seed: 1, sampleLength: 0, threads: 1 }));
      check(
        `textgen ${params.cell} ${params.layers}×${params.units}, seq ${params.seqLength}, batch ${params.batchSize}`,
        measured,
        estimateTextGenTraining({ params: full, characters: text.length, distinctCharacters }, 1),
      );
    });
  }

  const seq2seqCases = [
    { embeddingSize: 32, units: 64, batchSize: 16, maxInputLength: 12, maxReplyLength: 12 },
    { embeddingSize: 64, units: 128, batchSize: 32, maxInputLength: 20, maxReplyLength: 20 },
  ];
  for (const params of seq2seqCases) {
    it(`seq2seq ${JSON.stringify(params)}`, async () => {
      const full = { ...params, epochs: 1, probes: [] };
      let vocabulary = 0;
      const measured = await measurePeak(async () => {
        const model = await trainChatModel(smallTalkPairs, { params: full, seed: 1, threads: 1 });
        vocabulary = model.tokenizer.size;
        return model;
      });
      const estimate = estimateSeq2SeqTraining({ params: full, pairs: smallTalkPairs.length, distinctWords: vocabulary - 4 }, 1);
      check(`seq2seq emb ${params.embeddingSize}, units ${params.units}, batch ${params.batchSize}, vocabulary ${vocabulary}`, measured, estimate);
    });
  }
});
