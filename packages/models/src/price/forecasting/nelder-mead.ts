/** Options of {@link minimizeNelderMead}. */
export interface NelderMeadOptions {
  /** Initial simplex edge along each coordinate. @defaultValue 0.5 */
  step?: number;
  /** Most iterations. @defaultValue 200 × dimension */
  maxIterations?: number;
  /** Stop once the simplex's values span at most this… @defaultValue 1e-10 */
  valueTolerance?: number;
  /** …and its vertices lie within this of the best one (max norm). @defaultValue 1e-7 */
  pointTolerance?: number;
}

export interface NelderMeadResult {
  /** The best point found. */
  point: number[];
  value: number;
  iterations: number;
  /** Whether the tolerances were met before `maxIterations`. */
  converged: boolean;
}

/**
 * Minimises `objective` over ℝᵈ with the Nelder–Mead simplex method (Lagarias et al. 1998), with
 * Gao & Han's (2012) dimension-adaptive coefficients. Bounds are the caller's: map a bounded
 * parameter through a logistic or similar. Non-finite values count as +∞, so an infeasible point
 * is simply never kept. Deterministic: no randomness.
 */
export function minimizeNelderMead(objective: (point: Float64Array) => number, start: ArrayLike<number>, options: NelderMeadOptions = {}): NelderMeadResult {
  const d = start.length;
  const { step = 0.5, maxIterations = 200 * d, valueTolerance = 1e-10, pointTolerance = 1e-7 } = options;
  const evaluate = (point: Float64Array) => {
    const value = objective(point);
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
  };
  if (d === 0) return { point: [], value: evaluate(new Float64Array(0)), iterations: 0, converged: true };
  const expansion = 1 + 2 / d;
  const contraction = 0.75 - 1 / (2 * d);
  const shrinkage = d === 1 ? 0.5 : 1 - 1 / d;

  // Vertices kept sorted by value, best first; trial points reuse three buffers.
  let vertices: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < d; i++) {
    const vertex = Float64Array.from(start);
    vertex[i]! += step;
    vertices.push(vertex);
  }
  let values = vertices.map(evaluate);
  const sortSimplex = () => {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    vertices = order.map((i) => vertices[i]!);
    values = order.map((i) => values[i]!);
  };
  const centroid = new Float64Array(d);
  let reflected: Float64Array = new Float64Array(d);
  let expanded: Float64Array = new Float64Array(d);
  let contracted: Float64Array = new Float64Array(d);
  const moveFromCentroid = (into: Float64Array, from: Float64Array, coefficient: number) => {
    for (let i = 0; i < d; i++) into[i] = centroid[i]! + coefficient * (from[i]! - centroid[i]!);
    return into;
  };
  /** Puts `point` in place of the worst vertex, keeping the order; returns the buffer it freed. */
  const replaceWorst = (point: Float64Array, value: number): Float64Array => {
    const freed = vertices[d]!;
    let i = d;
    while (i > 0 && values[i - 1]! > value) {
      vertices[i] = vertices[i - 1]!;
      values[i] = values[i - 1]!;
      i--;
    }
    vertices[i] = point;
    values[i] = value;
    return freed;
  };

  sortSimplex();
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    if (hasConverged(vertices, values, valueTolerance, pointTolerance)) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (let v = 0; v < d; v++) for (let i = 0; i < d; i++) centroid[i]! += vertices[v]![i]! / d;
    const worst = vertices[d]!;
    const worstValue = values[d]!;

    moveFromCentroid(reflected, worst, -1);
    const reflectedValue = evaluate(reflected);
    if (reflectedValue < values[0]!) {
      moveFromCentroid(expanded, worst, -expansion);
      const expandedValue = evaluate(expanded);
      if (expandedValue < reflectedValue) expanded = replaceWorst(expanded, expandedValue);
      else reflected = replaceWorst(reflected, reflectedValue);
      continue;
    }
    if (reflectedValue < values[d - 1]!) {
      reflected = replaceWorst(reflected, reflectedValue);
      continue;
    }
    const outside = reflectedValue < worstValue;
    moveFromCentroid(contracted, outside ? reflected : worst, contraction);
    const contractedValue = evaluate(contracted);
    if (contractedValue < (outside ? reflectedValue : worstValue)) {
      contracted = replaceWorst(contracted, contractedValue);
      continue;
    }
    const best = vertices[0]!;
    for (let v = 1; v <= d; v++) {
      const vertex = vertices[v]!;
      for (let i = 0; i < d; i++) vertex[i] = best[i]! + shrinkage * (vertex[i]! - best[i]!);
      values[v] = evaluate(vertex);
    }
    sortSimplex();
  }
  return { point: [...vertices[0]!], value: values[0]!, iterations, converged };
}

/** Vertices sorted best first. An all-infinite simplex never converges: the iteration limit ends it. */
function hasConverged(vertices: Float64Array[], values: number[], valueTolerance: number, pointTolerance: number): boolean {
  if (!(values[values.length - 1]! - values[0]! <= valueTolerance)) return false;
  const best = vertices[0]!;
  for (let v = 1; v < vertices.length; v++) {
    for (let i = 0; i < best.length; i++) if (Math.abs(vertices[v]![i]! - best[i]!) > pointTolerance) return false;
  }
  return true;
}

/** Maps ℝ onto (lower, upper): the logistic, so an unbounded optimiser respects the bounds. */
export function toInterval(u: number, lower: number, upper: number): number {
  return lower + (upper - lower) / (1 + Math.exp(-u));
}

/** Inverse of {@link toInterval}; `value` is clamped just inside the interval. */
export function fromInterval(value: number, lower: number, upper: number): number {
  const p = Math.min(1 - 1e-9, Math.max(1e-9, (value - lower) / (upper - lower)));
  return Math.log(p / (1 - p));
}
