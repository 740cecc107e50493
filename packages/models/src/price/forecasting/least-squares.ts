/**
 * Minimises ‖r + a·x₁ + b·x₂‖² over the unknowns marked free, from the sums of products
 * (r·a, r·b, a·a, a·b, b·b); the others stay 0. A relative ridge of 1e-12 keeps a singular
 * system (an unknown the data cannot identify) solvable: that unknown then stays near 0.
 * @returns the unknowns and the minimised sum of squares `rr + x·(ra, rb)`
 */
export function solveTwoUnknowns(
  sums: { rr: number; ra: number; rb: number; aa: number; ab: number; bb: number },
  free: { a: boolean; b: boolean },
): { a: number; b: number; sumOfSquares: number } {
  const { rr, ra, rb, aa, ab, bb } = sums;
  let a = 0;
  let b = 0;
  if (free.a && free.b) {
    const ridge = 1e-12 * (aa + bb) + Number.MIN_VALUE;
    const paa = aa + ridge;
    const pbb = bb + ridge;
    const determinant = paa * pbb - ab * ab;
    a = (-ra * pbb + rb * ab) / determinant;
    b = (-rb * paa + ra * ab) / determinant;
  } else if (free.a) {
    a = -ra / (aa + 1e-12 * aa + Number.MIN_VALUE);
  } else if (free.b) {
    b = -rb / (bb + 1e-12 * bb + Number.MIN_VALUE);
  }
  return { a, b, sumOfSquares: rr + a * ra + b * rb };
}
