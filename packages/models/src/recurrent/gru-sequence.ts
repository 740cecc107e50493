import * as tf from '@tensorflow/tfjs-core';
import { activateGates, fastTanh, gateDerivative, type RecurrentActivation } from './activations.ts';

/** A GRU layer's weights as tfjs-layers keeps them: gates in order z (update), r (reset), h (candidate). */
export interface GruWeights {
  /** `[inputSize, 3 · units]` */
  kernel: tf.Tensor2D;
  /** `[units, 3 · units]` */
  recurrentKernel: tf.Tensor2D;
  /** `[3 · units]` */
  bias: tf.Tensor1D;
}

export interface GruSequenceOptions {
  /** @defaultValue `'hardSigmoid'`, as tfjs-layers */
  recurrentActivation?: RecurrentActivation;
  /** `[batch, units]`; zeros when omitted. */
  initialState?: tf.Tensor2D;
  /** `x` is `[steps, batch, inputSize]` and `outputs` `[steps, batch, units]`. @defaultValue false */
  timeMajor?: boolean;
}

export interface GruSequenceResult {
  /** `[batch, steps, units]` (`[steps, batch, units]` when `timeMajor`) */
  outputs: tf.Tensor3D;
  /** `[batch, units]`: the last step's output, which is the state. */
  h: tf.Tensor2D;
}

const kernels = new Map<RecurrentActivation, ReturnType<typeof createGruKernel>>();

/**
 * A whole GRU layer over a sequence with a hand-written backward pass through time, as
 * `lstmSequence` is for the LSTM. The arithmetic of tfjs-layers' GRUCell (Keras `reset_after=False`):
 * z = σ(x·Wz + h·Uz + bz), r = σ(x·Wr + h·Ur + br), h̃ = tanh(x·Wh + (r⊙h)·Uh + bh),
 * h' = z⊙h + (1 − z)⊙h̃.
 *
 * @param x `[batch, steps, inputSize]` (or `[steps, batch, inputSize]` with `timeMajor`)
 */
export function gruSequence(x: tf.Tensor3D, weights: GruWeights, options: GruSequenceOptions = {}): GruSequenceResult {
  const activation = options.recurrentActivation ?? 'hardSigmoid';
  let kernel = kernels.get(activation);
  if (!kernel) kernels.set(activation, (kernel = createGruKernel(activation)));
  const units = weights.recurrentKernel.shape[0];
  return tf.tidy(() => {
    const xt = options.timeMajor ? x : tf.transpose(x, [1, 0, 2]);
    const [steps, batch] = xt.shape;
    const h0 = options.initialState ?? tf.zeros<tf.Rank.R2>([batch, units]);
    const outputs = kernel(xt, weights.kernel, weights.recurrentKernel, weights.bias, h0) as tf.Tensor3D;
    return {
      outputs: options.timeMajor ? outputs : tf.transpose(outputs, [1, 0, 2]),
      h: tf.reshape<tf.Rank.R2>(tf.slice(outputs, [steps - 1, 0, 0], [1, batch, units]), [batch, units]),
    };
  });
}

/** The custom-gradient op, time-major: `x` `[steps, batch, inputSize]` → outputs `[steps, batch, units]`. */
function createGruKernel(activation: RecurrentActivation) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, kernel, recurrentKernel, bias, h0, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.GradSaveFunc];
    const [steps, batch, inputSize] = x.shape;
    const units = recurrentKernel.shape[0];
    const xt = tf.reshape<tf.Rank.R2>(x, [steps * batch, inputSize]);
    const [projectedGates, projectedCandidate] = tf.split(tf.add(tf.matMul(xt, kernel), bias), [2 * units, units], 1);
    const gateInputs = tf.unstack(tf.reshape(projectedGates!, [steps, batch, 2 * units])) as tf.Tensor2D[];
    const candidateInputs = tf.unstack(tf.reshape(projectedCandidate!, [steps, batch, units])) as tf.Tensor2D[];
    const [uGates, uCandidate] = tf.split(recurrentKernel, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
    let h = h0;
    const hs: tf.Tensor2D[] = [h0];
    const saved: { z: tf.Tensor2D[]; r: tf.Tensor2D[]; candidate: tf.Tensor2D[]; resetState: tf.Tensor2D[] } = { z: [], r: [], candidate: [], resetState: [] };
    for (let t = 0; t < steps; t++) {
      const [z, r] = tf.split(activateGates(activation, tf.add(gateInputs[t]!, tf.matMul(h, uGates))), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const resetState = tf.mul<tf.Tensor2D>(r, h);
      const candidate = fastTanh(tf.add<tf.Tensor2D>(candidateInputs[t]!, tf.matMul(resetState, uCandidate)));
      h = tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
      hs.push(h);
      saved.z.push(z);
      saved.r.push(r);
      saved.candidate.push(candidate);
      saved.resetState.push(resetState);
    }
    const value = tf.stack(hs.slice(1));
    save([xt, kernel, recurrentKernel, tf.stack(hs), tf.stack(saved.z), tf.stack(saved.r), tf.stack(saved.candidate), tf.stack(saved.resetState)]);

    const gradFunc = (dy: tf.Tensor, kept: tf.Tensor[]) => {
      const [xtS, kernelS, recurrentS, hsS, zS, rS, candidateS, resetStateS] = kept as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, ...tf.Tensor3D[]];
      const pre = tf.tidy(() => {
        const hPrev = tf.slice(hsS!, [0, 0, 0], [steps, batch, units]);
        const [uGatesS, uCandidateS] = tf.split(recurrentS, [2 * units, units], 1);
        const perStep = (t: tf.Tensor) => tf.unstack(t) as tf.Tensor2D[];
        return {
          // dh̃-pre = dh·(1 − z)·(1 − h̃²); dz-pre = dh·(h₋₁ − h̃)·σ'(z); dr-pre = d(r⊙h)·h₋₁·σ'(r).
          toCandidate: perStep(tf.mul(tf.sub(1, zS!), tf.sub(1, tf.square(candidateS!)))),
          toZ: perStep(tf.mul(tf.sub(hPrev, candidateS!), gateDerivative(activation, zS!))),
          toR: perStep(tf.mul(hPrev, gateDerivative(activation, rS!))),
          z: perStep(zS!),
          r: perStep(rS!),
          dOutputs: perStep(dy),
          // Explicit transposes: wasm's matMul with transposeA/transposeB runs 10× slower than without.
          uGatesT: tf.transpose(uGatesS!) as tf.Tensor2D,
          uCandidateT: tf.transpose(uCandidateS!) as tf.Tensor2D,
        };
      });
      let dhNext = tf.zerosLike(pre.z[0]!);
      const dGates: tf.Tensor2D[] = new Array(steps);
      const dCandidate: tf.Tensor2D[] = new Array(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const [dg, dc, dh] = tf.tidy(() => {
          const dhT = tf.add(pre.dOutputs[t]!, dhNext);
          const dCandidatePre = tf.mul(dhT, pre.toCandidate[t]!);
          const dResetState = tf.matMul(dCandidatePre, pre.uCandidateT);
          const dGatesPre = tf.concat([tf.mul(dhT, pre.toZ[t]!), tf.mul(dResetState, pre.toR[t]!)], 1) as tf.Tensor2D;
          const dhPrev = tf.addN([tf.mul(dhT, pre.z[t]!), tf.mul(dResetState, pre.r[t]!), tf.matMul(dGatesPre, pre.uGatesT)]);
          return [dGatesPre, dCandidatePre, dhPrev] as tf.Tensor2D[];
        });
        tf.dispose(dhNext);
        dGates[t] = dg!;
        dCandidate[t] = dc!;
        dhNext = dh!;
      }
      const rows = steps * batch;
      const dGatesAll = tf.reshape<tf.Rank.R2>(tf.stack(dGates), [rows, 2 * units]);
      const dCandidateAll = tf.reshape<tf.Rank.R2>(tf.stack(dCandidate), [rows, units]);
      const dProjected = tf.concat([dGatesAll, dCandidateAll], 1);
      const hPrevAll = tf.reshape<tf.Rank.R2>(tf.slice(hsS!, [0, 0, 0], [steps, batch, units]), [rows, units]);
      const resetStateAll = tf.reshape<tf.Rank.R2>(resetStateS!, [rows, units]);
      const dx = tf.reshape(tf.matMul(dProjected, tf.transpose(kernelS)), [steps, batch, inputSize]);
      const dKernel = tf.matMul(tf.transpose(xtS), dProjected);
      const dRecurrent = tf.concat([tf.matMul(tf.transpose(hPrevAll), dGatesAll), tf.matMul(tf.transpose(resetStateAll), dCandidateAll)], 1);
      // A sum over rows as a matmul: wasm's Sum along axis 0 transposes first and is slow.
      const dBias = tf.reshape(tf.matMul(tf.ones([1, rows]), dProjected), [3 * units]);
      return [dx, dKernel, dRecurrent, dBias, dhNext];
    };
    return { value, gradFunc };
  });
}
