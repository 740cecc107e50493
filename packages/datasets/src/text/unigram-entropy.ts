/** How often each character (Unicode code point) occurs in a text. */
export function countCharacters(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const character of text) counts.set(character, (counts.get(character) ?? 0) + 1);
  return counts;
}

/**
 * Shannon entropy of a text's character distribution, in bits per character: the
 * bits-per-character of the best model that ignores context. A character-level model whose
 * validation bits-per-character is not clearly below this has learnt no more than frequencies.
 * @returns 0 for an empty text or a text of one repeated character
 */
export function unigramEntropyBits(text: string): number {
  const counts = countCharacters(text);
  let total = 0;
  for (const count of counts.values()) total += count;
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits === 0 ? 0 : bits; // no -0 for a single-character text
}

/**
 * Bits per character of `evaluated` under a unigram model fitted on `training`: the fair
 * baseline for a validation bits-per-character. Counts get additive (Laplace) smoothing over the
 * union of both texts' characters, so that a character unseen in training costs finite bits.
 * @param smoothing added to every character's count; must be > 0
 * @defaultValue smoothing 1
 * @returns 0 for an empty `evaluated` text
 */
export function unigramCrossEntropyBits(training: string, evaluated: string, smoothing = 1): number {
  if (!(smoothing > 0)) throw new RangeError(`smoothing must be > 0, got ${smoothing}`);
  const trainingCounts = countCharacters(training);
  const evaluatedCounts = countCharacters(evaluated);
  const vocabulary = new Set([...trainingCounts.keys(), ...evaluatedCounts.keys()]);
  let trainingTotal = 0;
  for (const count of trainingCounts.values()) trainingTotal += count;
  const denominator = trainingTotal + smoothing * vocabulary.size;
  let evaluatedTotal = 0;
  let bits = 0;
  for (const [character, count] of evaluatedCounts) {
    const p = ((trainingCounts.get(character) ?? 0) + smoothing) / denominator;
    bits -= count * Math.log2(p);
    evaluatedTotal += count;
  }
  return evaluatedTotal === 0 ? 0 : bits / evaluatedTotal;
}
