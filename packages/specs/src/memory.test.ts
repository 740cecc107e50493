import { describe, expect, it } from 'vitest';
import { checkTrainingMemory, estimatePriceTraining, estimateTraining, WASM_HEAP_USABLE_BYTES, type TrainingFacts, type TrainPayload } from './index.ts';

const GiB = 1024 ** 3;
const bitcoin: TrainingFacts = { kind: 'price', seriesLength: 1609 };
const finding = { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 365, epochs: 1 }, horizon: 365 } as TrainPayload;

describe('memory estimates (no tfjs: calibrated in apps/worker/src/memory-estimate.test.ts)', () => {
  it("refuses the issue's finding on a 4 GiB worker and on any wasm heap, naming what drives it", () => {
    const refusal = checkTrainingMemory(finding, bitcoin, { budgetBytes: 3 * GiB, threads: 2, wasmHeaps: true });
    expect(refusal).toMatchObject({ limit: 'budget', limitBytes: 3 * GiB });
    expect(refusal!.estimateBytes).toBeGreaterThan(5 * GiB);
    expect(refusal!.message).toMatch(/needs about 5\.\d GiB at its peak .* budget for a training is 3\.0 GiB; driven by window 365, batchSize 512/);
    // With memory to spare, one wasm heap still cannot hold it, even split across two threads.
    expect(checkTrainingMemory(finding, bitcoin, { budgetBytes: 64 * GiB, threads: 2, wasmHeaps: true })).toMatchObject({ limit: 'wasm-heap', limitBytes: WASM_HEAP_USABLE_BYTES });
    // Natively (tfjs-node), only the budget counts.
    expect(checkTrainingMemory(finding, bitcoin, { budgetBytes: 64 * GiB, threads: 1, wasmHeaps: false })).toBeUndefined();
  });

  it("accepts the talk's network and the default text generator on a modest worker", () => {
    const limits = { budgetBytes: 1.5 * GiB, threads: 2, wasmHeaps: true };
    expect(checkTrainingMemory({ ...finding, params: { epochs: 10 }, horizon: 10 } as TrainPayload, bitcoin, limits)).toBeUndefined();
    expect(checkTrainingMemory({ kind: 'textgen', dataset: 'tinyshakespeare' } as TrainPayload, { kind: 'textgen', characters: 1_115_394, distinctCharacters: 65 }, limits)).toBeUndefined();
    expect(checkTrainingMemory({ kind: 'seq2seq', dataset: 'tinyshakespeare-dialogue' } as TrainPayload, { kind: 'seq2seq', pairs: 3919 }, limits)).toBeUndefined();
  });

  it('splits activations across threads, grows with each driver, and ignores linear fits', () => {
    const one = estimatePriceTraining({ params: { window: 100 }, seriesLength: 1609 }, 1);
    const two = estimatePriceTraining({ params: { window: 100 }, seriesLength: 1609 }, 2);
    expect(two.heapBytes).toBeLessThan(0.6 * one.heapBytes);
    expect(two.totalBytes).toBeGreaterThanOrEqual(one.totalBytes);
    for (const params of [{ window: 200 }, { batchSize: 1024 }, { units2: 200 }]) {
      expect(estimatePriceTraining({ params: { window: 100, ...params }, seriesLength: 1609 }, 1).totalBytes).toBeGreaterThan(one.totalBytes);
    }
    expect(estimateTraining({ ...finding, architecture: 'linear' } as TrainPayload, bitcoin, 1)).toBeUndefined();
  });

  it('refuses a chatbot whose logits would be one tensor past what wasm addresses', () => {
    const payload = { kind: 'seq2seq', dataset: 'd', params: { maxVocabulary: 50_000, maxReplyLength: 100, batchSize: 1024, units: 1, embeddingSize: 1 } } as TrainPayload;
    const refusal = checkTrainingMemory(payload, { kind: 'seq2seq', pairs: 100_000 }, { budgetBytes: 1024 * GiB, threads: 1, wasmHeaps: true });
    expect(refusal?.limit).toBe('wasm-heap');
    expect(refusal?.drivers).toContain('maxVocabulary 50000');
  });
});
