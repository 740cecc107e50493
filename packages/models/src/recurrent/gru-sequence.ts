import * as tf from '@tensorflow/tfjs-core';
import { fastTanh, gateDerivative, prepareGates, type RecurrentActivation } from './activations.ts';
import { toTimeMajorMask, widenMask } from './mask.ts';

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
  /** No gradient will be taken: skip what the backward pass would keep (for inference). @defaultValue false */
  inference?: boolean;
  /**
   * `[batch, steps]` (`[steps, batch]` with `timeMajor`), bool or float: nonzero marks a real step.
   * At a masked step the output and the state carry over the previous step's (the initial state
   * before any real step), as tfjs-layers' RNN with a mask. @defaultValue no mask
   */
  mask?: tf.Tensor2D;
}

export interface GruSequenceResult {
  /** `[batch, steps, units]` (`[steps, batch, units]` when `timeMajor`) */
  outputs: tf.Tensor3D;
  /** `[batch, units]`: the last step's output, which is the state. */
  h: tf.Tensor2D;
}

const kernels = new Map<string, ReturnType<typeof createGruKernel>>();

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
  const units = weights.recurrentKernel.shape[0];
  return tf.tidy(() => {
    const xt = options.timeMajor ? x : tf.transpose(x, [1, 0, 2]);
    const [steps, batch] = xt.shape;
    const h0 = options.initialState ?? tf.zeros<tf.Rank.R2>([batch, units]);
    const mask = options.mask && toTimeMajorMask(options.mask, options.timeMajor === true);
    const { kernel, recurrentKernel, bias } = weights;
    const outputs = options.inference
      ? runGru(activation, xt, kernel, recurrentKernel, bias, h0, mask).value
      : (getKernel(activation, mask !== undefined)(xt, kernel, recurrentKernel, bias, h0, ...(mask ? [mask] : [])) as tf.Tensor3D);
    return {
      outputs: options.timeMajor ? outputs : tf.transpose(outputs, [1, 0, 2]),
      h: tf.reshape<tf.Rank.R2>(tf.slice(outputs, [steps - 1, 0, 0], [1, batch, units]), [batch, units]),
    };
  });
}

function getKernel(activation: RecurrentActivation, masked: boolean) {
  const key = `${activation}${masked ? ' masked' : ''}`;
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, (kernel = createGruKernel(activation, masked)));
  return kernel;
}

/**
 * The forward pass, time-major: `x` `[steps, batch, inputSize]` → `value` `[steps, batch, units]`,
 * and with `keepGates` what the backward pass needs. With a `mask` (float 0/1 `[steps, batch]`) a
 * step's state is `m · new + (1 − m) · previous`; the kept gates are those computed at every step.
 */
function runGru(
  activation: RecurrentActivation,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  mask?: tf.Tensor2D,
  keepGates = false,
) {
  const [steps, batch, inputSize] = x.shape;
  const units = recurrentKernel.shape[0];
  const { w, u, b, gate } = prepareGates(activation, kernel, recurrentKernel, bias, [true, true, false]);
  const xt = tf.reshape<tf.Rank.R2>(x, [steps * batch, inputSize]);
  const [projectedGates, projectedCandidate] = tf.split(tf.add(tf.matMul(xt, w), b), [2 * units, units], 1);
  const gateInputs = tf.unstack(tf.reshape(projectedGates!, [steps, batch, 2 * units])) as tf.Tensor2D[];
  const candidateInputs = tf.unstack(tf.reshape(projectedCandidate!, [steps, batch, units])) as tf.Tensor2D[];
  const [uGates, uCandidate] = tf.split(u, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  const { keep, carry, keeps, carries } = widenMask(mask, units);
  let h = h0;
  const hs: tf.Tensor2D[] = [h0];
  const kept = keepGates ? { z: [] as tf.Tensor2D[], r: [] as tf.Tensor2D[], candidate: [] as tf.Tensor2D[], resetState: [] as tf.Tensor2D[] } : undefined;
  for (let t = 0; t < steps; t++) {
    const [z, r] = tf.split(gate(tf.add(gateInputs[t]!, tf.matMul(h, uGates))), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const resetState = tf.mul<tf.Tensor2D>(r, h);
    const candidate = fastTanh(tf.add<tf.Tensor2D>(candidateInputs[t]!, tf.matMul(resetState, uCandidate)));
    const hNew = tf.add<tf.Tensor2D>(candidate, tf.mul(z, tf.sub(h, candidate)));
    // The blend as tfjs-layers' rnn() writes it: exact for a 0/1 mask.
    h = keeps ? tf.add<tf.Tensor2D>(tf.mul(hNew, keeps[t]!), tf.mul(h, carries![t]!)) : hNew;
    hs.push(h);
    if (kept) {
      kept.z.push(z);
      kept.r.push(r);
      kept.candidate.push(candidate);
      kept.resetState.push(resetState);
    }
  }
  return { value: tf.stack(hs.slice(1)) as tf.Tensor3D, xt, hs, kept, keep, carry };
}

/**
 * The custom-gradient op, time-major: `x` `[steps, batch, inputSize]`, and when `masked` a last
 * input, the float mask `[steps, batch]` → outputs `[steps, batch, units]`.
 */
function createGruKernel(activation: RecurrentActivation, masked: boolean) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, kernel, recurrentKernel, bias, h0] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
    const mask = masked ? (args[5] as tf.Tensor2D) : undefined;
    // Its shape only: by the time gradients run, the mask itself may be disposed.
    const maskShape = mask?.shape;
    const save = args.at(-1) as tf.GradSaveFunc;
    const [steps, batch, inputSize] = x.shape;
    const units = recurrentKernel.shape[0];
    const { value, xt, hs, kept, keep, carry } = runGru(activation, x, kernel, recurrentKernel, bias, h0, mask, true);
    save([xt, kernel, recurrentKernel, tf.stack(hs), tf.stack(kept!.z), tf.stack(kept!.r), tf.stack(kept!.candidate), tf.stack(kept!.resetState), ...(keep ? [keep, carry!] : [])]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xtS, kernelS, recurrentS, hsS, zS, rS, candidateS, resetStateS, keepS, carryS] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, ...tf.Tensor3D[]];
      const pre = tf.tidy(() => {
        // Masked, these h₋₁ are the carried states, which the step computed from.
        const hPrev = tf.slice(hsS!, [0, 0, 0], [steps, batch, units]);
        const [uGatesS, uCandidateS] = tf.split(recurrentS, [2 * units, units], 1);
        // With a mask, the step's own h gets m·dh (folded into the factors below), the previous one also (1 − m)·dh.
        const masked = (t: tf.Tensor) => (keepS ? tf.mul(t, keepS) : t);
        const perStep = (t: tf.Tensor) => tf.unstack(t) as tf.Tensor2D[];
        return {
          // dh̃-pre = dh·(1 − z)·(1 − h̃²); dz-pre = dh·(h₋₁ − h̃)·σ'(z); dr-pre = d(r⊙h)·h₋₁·σ'(r).
          toCandidate: perStep(masked(tf.mul(tf.sub(1, zS!), tf.sub(1, tf.square(candidateS!))))),
          toZ: perStep(masked(tf.mul(tf.sub(hPrev, candidateS!), gateDerivative(activation, zS!)))),
          toR: perStep(tf.mul(hPrev, gateDerivative(activation, rS!))),
          z: perStep(masked(zS!)),
          r: perStep(rS!),
          carry: carryS && perStep(carryS),
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
          const terms = [tf.mul(dhT, pre.z[t]!), tf.mul(dResetState, pre.r[t]!), tf.matMul(dGatesPre, pre.uGatesT)];
          if (pre.carry) terms.push(tf.mul(dhT, pre.carry[t]!));
          return [dGatesPre, dCandidatePre, tf.addN(terms)] as tf.Tensor2D[];
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
      return [dx, dKernel, dRecurrent, dBias, dhNext, ...(maskShape ? [tf.zeros(maskShape)] : [])];
    };
    return { value, gradFunc };
  });
}
