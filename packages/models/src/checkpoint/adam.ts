import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.ts';

/** Adam's constants (Kingma & Ba's defaults, tfjs' epsilon). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
/** Gradients are scaled down to this global L2 norm when longer (char-rnn's clip of 5). */
export const GRADIENT_CLIP_NORM = 5;

/** The serialisable state of an `AdamOptimizer`: its step count and, per variable, the two moments. */
export interface AdamState {
  /** Updates applied so far. */
  step: number;
  /** First moments, one per variable, in the variables' order. */
  firstMoments: Float32Array[];
  /** Second moments, likewise. */
  secondMoments: Float32Array[];
}

/**
 * Adam over a fixed list of variables, with a state that can be read and restored exactly.
 * tfjs' own Adam restores its bias-correction powers with `pow` where a running optimizer
 * multiplies them step by step, so a resumed run would drift from an uninterrupted one in the last
 * bits; here the correction is computed in float64 from the step count alone.
 */
export class AdamOptimizer {
  #step: number;
  readonly #first: tf.Variable[];
  readonly #second: tf.Variable[];

  constructor(
    readonly variables: readonly tf.Variable[],
    readonly learningRate: number,
    state?: AdamState,
  ) {
    if (state && (state.firstMoments.length !== variables.length || state.secondMoments.length !== variables.length)) {
      throw new ModelError(`optimizer state holds moments of ${state.firstMoments.length} variables; the network has ${variables.length}`);
    }
    const moment = (variable: tf.Variable, values: Float32Array | undefined) => {
      if (values && values.length !== variable.size) throw new ModelError(`optimizer moment of ${variable.name} has ${values.length} values, expected ${variable.size}`);
      return tf.variable(values ? tf.tensor(values, variable.shape) : tf.zerosLike(variable), false);
    };
    this.#step = state?.step ?? 0;
    this.#first = tf.tidy(() => variables.map((v, i) => moment(v, state?.firstMoments[i])));
    this.#second = tf.tidy(() => variables.map((v, i) => moment(v, state?.secondMoments[i])));
  }

  get step(): number {
    return this.#step;
  }

  /**
   * Computes the gradients of `loss` (a scalar function of the variables), applies them as
   * `applyGradients` does and returns the loss (the caller disposes it).
   */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, [...this.variables]);
    try {
      this.applyGradients(grads);
    } finally {
      tf.dispose(grads);
    }
    return value;
  }

  /** Clips `grads` (keyed by variable name) to `GRADIENT_CLIP_NORM` and applies one update. The caller keeps the gradients. */
  applyGradients(grads: tf.NamedTensorMap): void {
    const step = this.#step + 1;
    const correctedRate = (this.learningRate * Math.sqrt(1 - ADAM.beta2 ** step)) / (1 - ADAM.beta1 ** step);
    tf.tidy(() => {
      const gradients = this.variables.map((v) => {
        const gradient = grads[v.name];
        if (!gradient) throw new ModelError(`no gradient for ${v.name}`);
        return gradient;
      });
      const norm = tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g)))));
      const scale = tf.div(GRADIENT_CLIP_NORM, tf.maximum(norm, GRADIENT_CLIP_NORM));
      this.variables.forEach((variable, i) => {
        const gradient = tf.mul(gradients[i]!, scale);
        const first = this.#first[i]!;
        const second = this.#second[i]!;
        first.assign(tf.add(tf.mul(first, ADAM.beta1), tf.mul(gradient, 1 - ADAM.beta1)));
        second.assign(tf.add(tf.mul(second, ADAM.beta2), tf.mul(tf.square(gradient), 1 - ADAM.beta2)));
        variable.assign(tf.sub(variable, tf.div(tf.mul(first, correctedRate), tf.add(tf.sqrt(second), ADAM.epsilon))));
      });
    });
    this.#step = step;
  }

  /** Copies of the step count and moments. */
  async readState(): Promise<AdamState> {
    const read = (moments: tf.Variable[]) => Promise.all(moments.map(async (m) => new Float32Array(await m.data<'float32'>())));
    return { step: this.#step, firstMoments: await read(this.#first), secondMoments: await read(this.#second) };
  }

  dispose(): void {
    tf.dispose([...this.#first, ...this.#second]);
  }
}
