import { describe, expect, it } from 'vitest';
import { fromInterval, minimizeNelderMead, toInterval } from './nelder-mead.ts';

describe('minimizeNelderMead', () => {
  it('finds the minimum of Rosenbrock’s valley from the classic start (−1.2, 1)', () => {
    const rosenbrock = (p: Float64Array) => 100 * (p[1]! - p[0]! ** 2) ** 2 + (1 - p[0]!) ** 2;
    const result = minimizeNelderMead(rosenbrock, [-1.2, 1], { maxIterations: 2000 });
    expect(result.converged).toBe(true);
    expect(result.point[0]).toBeCloseTo(1, 4);
    expect(result.point[1]).toBeCloseTo(1, 4);
  });

  it('minimises a coupled quadratic in three dimensions', () => {
    // (x − 1)² + 10(y + 2)² + z² + xz: minimum at x = 4/3, y = −2, z = −2/3.
    const f = (p: Float64Array) => (p[0]! - 1) ** 2 + 10 * (p[1]! + 2) ** 2 + p[2]! ** 2 + p[0]! * p[2]!;
    const { point } = minimizeNelderMead(f, [0, 0, 0], { step: 1 });
    expect(point[0]).toBeCloseTo(4 / 3, 5);
    expect(point[1]).toBeCloseTo(-2, 5);
    expect(point[2]).toBeCloseTo(-2 / 3, 5);
  });

  it('treats non-finite values as +∞, so it stays where the objective is defined', () => {
    const f = (p: Float64Array) => (p[0]! <= 0 ? Number.NaN : (Math.log(p[0]!) - 1) ** 2);
    expect(minimizeNelderMead(f, [0.5], { step: 1 }).point[0]).toBeCloseTo(Math.E, 4);
  });

  it('stops at the iteration limit and says it did not converge', () => {
    const result = minimizeNelderMead((p) => (p[0]! - 3) ** 2, [0], { maxIterations: 3 });
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(3);
  });

  it('maps ℝ onto an interval and back', () => {
    expect(toInterval(fromInterval(0.3, 0.1, 0.9), 0.1, 0.9)).toBeCloseTo(0.3, 12);
    expect(toInterval(1e3, 0.8, 0.98)).toBeLessThanOrEqual(0.98);
    expect(toInterval(-1e3, 0.8, 0.98)).toBeGreaterThanOrEqual(0.8);
  });
});
