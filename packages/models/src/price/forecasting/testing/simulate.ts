import type { EtsParameters, EtsVariant } from '../forecaster.ts';
import { seededGaussian } from './random.ts';

export interface SimulateEtsOptions {
  variant: EtsVariant;
  parameters: EtsParameters;
  initial: { level: number; trend: number };
  /** Standard deviation of the Gaussian errors. */
  sigma: number;
  length: number;
  seed: number;
}

/** A series drawn from an additive-error ETS model (the same recursion `ets` fits). */
export function simulateEts({ variant, parameters: { alpha, beta, phi }, initial, sigma, length, seed }: SimulateEtsOptions): number[] {
  const gaussian = seededGaussian(seed);
  const trended = variant !== 'simple';
  const damping = variant === 'damped' ? phi : 1;
  let level = initial.level;
  let trend = trended ? initial.trend : 0;
  const series: number[] = [];
  for (let t = 0; t < length; t++) {
    const error = sigma * gaussian();
    const forecast = level + damping * trend;
    series.push(forecast + error);
    level = forecast + alpha * error;
    trend = trended ? damping * trend + beta * error : 0;
  }
  return series;
}

/** A Gaussian random walk plus independent Gaussian noise: xₜ = xₜ₋₁ + σ_step·z, yₜ = xₜ + σ_noise·z′. */
export function simulateRandomWalkWithNoise(options: { length: number; start: number; stepSigma: number; noiseSigma: number; seed: number }): number[] {
  const gaussian = seededGaussian(options.seed);
  let x = options.start;
  return Array.from({ length: options.length }, () => {
    x += options.stepSigma * gaussian();
    return x + options.noiseSigma * gaussian();
  });
}
