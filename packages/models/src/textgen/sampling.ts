/**
 * Draws an index from softmax(logits / temperature), restricted to the `topK` most likely
 * indices when given (ties broken by the lower index). Computed in float64 in plain JS, so a
 * seeded `random` gives the same choice on every backend. `random` returns values in [0, 1).
 */
export function sampleIndex(logits: ArrayLike<number>, temperature: number, random: () => number, topK?: number): number {
  let candidates = Array.from({ length: logits.length }, (_, i) => i);
  if (topK !== undefined && topK < candidates.length) {
    candidates = candidates.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK);
  }
  const max = Math.max(...candidates.map((i) => logits[i]!));
  const weights = candidates.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((sum, w) => sum + w, 0);
  let threshold = random() * total;
  for (let k = 0; k < candidates.length; k++) {
    threshold -= weights[k]!;
    if (threshold < 0) return candidates[k]!;
  }
  // Rounding can leave a sliver past the last weight: the last positive candidate takes it.
  for (let k = candidates.length - 1; k >= 0; k--) if (weights[k]! > 0) return candidates[k]!;
  return candidates[0]!;
}
