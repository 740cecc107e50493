import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requiredTextCharacters } from '@mlq/jobs';
import { trainTextModel } from '@mlq/models';

describe("the API's computed corpus length", () => {
  it("is what the model library's split demands, on generated params", async () => {
    // Splits from 1e-3 keep the library's own count (and the generated texts) small.
    const params = fc.record({ seqLength: fc.integer({ min: 2, max: 200 }), validationSplit: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 0.5, noNaN: true })) });
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const needed = requiredTextCharacters(p);
        const text = 'abcdefgh'.repeat(Math.ceil(needed / 8));
        await expect(trainTextModel(text.slice(0, needed - 1), { params: { ...p, epochs: 1 } })).rejects.toThrow(`needs at least ${needed}`);
      }),
      { numRuns: 40 },
    );
  });
});
