import * as tf from '@tensorflow/tfjs-core';
import { fastTanh, gateDerivative, prepareGates, type RecurrentActivation } from './activations.ts';
import { toTimeMajorMask, widenMask } from './mask.ts';

/** An LSTM layer's weights as tfjs-layers keeps them: gates in Keras order i, f, c, o. */
export interface LstmWeights {
  /** `[inputSize, 4 · units]` */
  kernel: tf.Tensor2D;
  /** `[units, 4 · units]` */
  recurrentKernel: tf.Tensor2D;
  /** `[4 · units]` */
  bias: tf.Tensor1D;
}

export interface LstmSequenceOptions {
  /** @defaultValue `'hardSigmoid'`, as tfjs-layers */
  recurrentActivation?: RecurrentActivation;
  /** `h` and `c`, each `[batch, units]`; zeros when omitted. */
  initialState?: { h: tf.Tensor2D; c: tf.Tensor2D };
  /** `x` is `[steps, batch, inputSize]` and `outputs` `[steps, batch, units]` (saves two transposes). @defaultValue false */
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

/** What `lstmSequence` returns: every step's output and the final state. */
export interface LstmSequenceResult {
  /** `[batch, steps, units]` (`[steps, batch, units]` when `timeMajor`) */
  outputs: tf.Tensor3D;
  /** `[batch, units]`: the last step's output. */
  h: tf.Tensor2D;
  /** `[batch, units]`: the last cell state. */
  c: tf.Tensor2D;
}

const kernels = new Map<string, ReturnType<typeof createLstmKernel>>();

/**
 * A whole LSTM layer over a sequence in few, large ops, with a hand-written backward pass through
 * time. Forward: one matmul for every step's input projection, then per step one fused matmul
 * (recurrent part plus that projection) and the gate arithmetic. Backward: per step only the
 * elementwise chain and one matmul for the recurrent gradient; the weight gradients are three big
 * matmuls over all steps at the end. Numerically the arithmetic of tfjs-layers' LSTMCell.
 *
 * @param x `[batch, steps, inputSize]` (or `[steps, batch, inputSize]` with `timeMajor`)
 */
export function lstmSequence(x: tf.Tensor3D, weights: LstmWeights, options: LstmSequenceOptions = {}): LstmSequenceResult {
  const activation = options.recurrentActivation ?? 'hardSigmoid';
  const units = weights.recurrentKernel.shape[0];
  return tf.tidy(() => {
    const xt = options.timeMajor ? x : tf.transpose(x, [1, 0, 2]);
    const [steps, batch] = xt.shape;
    const h0 = options.initialState?.h ?? tf.zeros<tf.Rank.R2>([batch, units]);
    const c0 = options.initialState?.c ?? tf.zeros<tf.Rank.R2>([batch, units]);
    const mask = options.mask && toTimeMajorMask(options.mask, options.timeMajor === true);
    const { kernel, recurrentKernel, bias } = weights;
    const packed = options.inference
      ? runLstm(activation, xt, kernel, recurrentKernel, bias, h0, c0, mask).value
      : (getKernel(activation, mask !== undefined)(xt, kernel, recurrentKernel, bias, h0, c0, ...(mask ? [mask] : [])) as tf.Tensor3D);
    const outputs = tf.slice(packed, [0, 0, 0], [steps, batch, units]);
    return {
      outputs: options.timeMajor ? outputs : tf.transpose(outputs, [1, 0, 2]),
      h: tf.reshape<tf.Rank.R2>(tf.slice(packed, [steps - 1, 0, 0], [1, batch, units]), [batch, units]),
      c: tf.reshape<tf.Rank.R2>(tf.slice(packed, [steps, 0, 0], [1, batch, units]), [batch, units]),
    };
  });
}

function getKernel(activation: RecurrentActivation, masked: boolean) {
  const key = `${activation}${masked ? ' masked' : ''}`;
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, (kernel = createLstmKernel(activation, masked)));
  return kernel;
}

/**
 * The forward pass, time-major: `x` `[steps, batch, inputSize]` → `value` `[steps + 1, batch,
 * units]` (h₁…h_T, then the final cell state), and with `keepGates` what the backward pass needs.
 * With a `mask` (float 0/1 `[steps, batch]`) a step's state is `m · new + (1 − m) · previous`; the
 * kept gates are then those computed at every step, masked or not.
 */
function runLstm(
  activation: RecurrentActivation,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  mask?: tf.Tensor2D,
  keepGates = false,
) {
  const [steps, batch, inputSize] = x.shape;
  const units = recurrentKernel.shape[0];
  const { w, u, b, gate } = prepareGates(activation, kernel, recurrentKernel, bias, [true, true, false, true]);
  // One matmul projects every step's input; time-major, so each step's slice is contiguous.
  const xt = tf.reshape<tf.Rank.R2>(x, [steps * batch, inputSize]);
  const projected = tf.unstack(tf.reshape(tf.add(tf.matMul(xt, w), b), [steps, batch, 4 * units])) as tf.Tensor2D[];
  const { keep, carry, keeps, carries } = widenMask(mask, units);
  let h = h0;
  let c = c0;
  const hs: tf.Tensor2D[] = [h0];
  const cs: tf.Tensor2D[] = [c0];
  const gates: [tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[]] | undefined = keepGates ? [[], [], [], []] : undefined;
  for (let t = 0; t < steps; t++) {
    // One matmul for all four gates, then a split: on wasm four [units, units] matmuls cost
    // twice one [units, 4 · units]. (tf.fused.matMul would fold the add in, but the wasm backend
    // takes only a rank-1 bias.)
    const z = tf.split(tf.add(projected[t]!, tf.matMul(h, u)), 4, 1) as tf.Tensor2D[];
    const i = gate(z[0]!);
    const f = gate(z[1]!);
    const g = fastTanh(z[2]!);
    const o = gate(z[3]!);
    const cNew = tf.add<tf.Tensor2D>(tf.mul(f, c), tf.mul(i, g));
    const hNew = tf.mul<tf.Tensor2D>(o, fastTanh(cNew));
    // The blend as tfjs-layers' rnn() writes it: exact for a 0/1 mask.
    c = keeps ? tf.add<tf.Tensor2D>(tf.mul(cNew, keeps[t]!), tf.mul(c, carries![t]!)) : cNew;
    h = keeps ? tf.add<tf.Tensor2D>(tf.mul(hNew, keeps[t]!), tf.mul(h, carries![t]!)) : hNew;
    hs.push(h);
    cs.push(c);
    if (gates) [i, f, g, o].forEach((gate, k) => gates[k]!.push(gate));
  }
  return { value: tf.stack([...hs.slice(1), c]) as tf.Tensor3D, xt, hs, cs, gates, keep, carry };
}

/**
 * The custom-gradient op, time-major: `x` `[steps, batch, inputSize]`, and when `masked` a last
 * input, the float mask `[steps, batch]`. Its one output packs `[steps + 1, batch, units]`:
 * h₁…h_T, then the final cell state (tfjs' customGrad has one output).
 */
function createLstmKernel(activation: RecurrentActivation, masked: boolean) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, kernel, recurrentKernel, bias, h0, c0] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D];
    const mask = masked ? (args[6] as tf.Tensor2D) : undefined;
    // Its shape only: by the time gradients run, the mask itself may be disposed.
    const maskShape = mask?.shape;
    const save = args.at(-1) as tf.GradSaveFunc;
    const [steps, batch, inputSize] = x.shape;
    const units = recurrentKernel.shape[0];
    const { value, xt, hs, cs, gates, keep, carry } = runLstm(activation, x, kernel, recurrentKernel, bias, h0, c0, mask, true);
    save([xt, kernel, recurrentKernel, ...gates!.map((list) => tf.stack(list)), tf.stack(hs), tf.stack(cs), ...(keep ? [keep, carry!] : [])]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      // Gradients come out in Keras' gate order (i, f, c, o), the order of the saved weights.
      const [xtS, kernelS, recurrentS, iS, fS, gS, oS, hsS, csS, keepS, carryS] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, ...tf.Tensor3D[]];
      // Everything that does not depend on the recurrence, for all steps at once ([steps, batch, units]).
      const pre = tf.tidy(() => {
        // Masked, these c are the carried states, not the step's own: they differ only at masked
        // steps, where `keep` zeroes every term they enter.
        const cNext = tf.slice(csS!, [1, 0, 0], [steps, batch, units]);
        const cPrev = tf.slice(csS!, [0, 0, 0], [steps, batch, units]);
        const tanhC = fastTanh(cNext);
        // dz_i = dc·g·σ'(i), dz_f = dc·c₋₁·σ'(f), dz_c = dc·i·(1 − g²), dz_o = dh·tanh(c)·σ'(o);
        // dc also gets dh·o·(1 − tanh²(c)). With a mask, the step's own h and c get m·dh and m·dc
        // (folded into the factors below), the previous ones also (1 − m)·dh and (1 − m)·dc.
        const kept = (t: tf.Tensor) => (keepS ? tf.mul(t, keepS) : t);
        const perStep = (t: tf.Tensor) => tf.unstack(t) as tf.Tensor2D[];
        return {
          toI: perStep(kept(tf.mul(gS!, gateDerivative(activation, iS!)))),
          toF: perStep(kept(tf.mul(cPrev, gateDerivative(activation, fS!)))),
          toC: perStep(kept(tf.mul(iS!, tf.sub(1, tf.square(gS!))))),
          toO: perStep(kept(tf.mul(tanhC, gateDerivative(activation, oS!)))),
          hToC: perStep(tf.mul(oS!, tf.sub(1, tf.square(tanhC)))),
          forget: perStep(kept(fS!)),
          carry: carryS && perStep(carryS),
          dOutputs: perStep(tf.slice(dy, [0, 0, 0], [steps, batch, units])),
          dcLast: tf.reshape(tf.slice(dy, [steps, 0, 0], [1, batch, units]), [batch, units]) as tf.Tensor2D,
          // Explicit transposes: wasm's matMul with transposeA/transposeB runs 10× slower than without.
          uT: tf.transpose(recurrentS) as tf.Tensor2D,
        };
      });
      let dhNext = tf.zerosLike(pre.dcLast);
      let dcNext = pre.dcLast;
      const dz: tf.Tensor2D[] = new Array(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const [dzT, dh, dc] = tf.tidy(() => {
          const dhT = tf.add(pre.dOutputs[t]!, dhNext);
          const dcT = tf.add(dcNext, tf.mul(dhT, pre.hToC[t]!));
          const dzStep = tf.concat([tf.mul(dcT, pre.toI[t]!), tf.mul(dcT, pre.toF[t]!), tf.mul(dcT, pre.toC[t]!), tf.mul(dhT, pre.toO[t]!)], 1) as tf.Tensor2D;
          const dhPrev = tf.matMul(dzStep, pre.uT);
          const dcPrev = tf.mul(dcT, pre.forget[t]!);
          if (!pre.carry) return [dzStep, dhPrev, dcPrev] as tf.Tensor2D[];
          return [dzStep, tf.add(dhPrev, tf.mul(dhT, pre.carry[t]!)), tf.add(dcPrev, tf.mul(dcNext, pre.carry[t]!))] as tf.Tensor2D[];
        });
        tf.dispose([dhNext, dcNext]);
        dz[t] = dzT!;
        dhNext = dh!;
        dcNext = dc!;
      }
      const dzAll = tf.reshape<tf.Rank.R2>(tf.stack(dz), [steps * batch, 4 * units]);
      const hPrev = tf.reshape<tf.Rank.R2>(tf.slice(hsS!, [0, 0, 0], [steps, batch, units]), [steps * batch, units]);
      const dx = tf.reshape(tf.matMul(dzAll, tf.transpose(kernelS)), [steps, batch, inputSize]);
      const dKernel = tf.matMul(tf.transpose(xtS), dzAll);
      const dRecurrent = tf.matMul(tf.transpose(hPrev), dzAll);
      // A sum over rows as a matmul: wasm's Sum along axis 0 transposes first and is slow.
      const dBias = tf.reshape(tf.matMul(tf.ones([1, steps * batch]), dzAll), [4 * units]);
      return [dx, dKernel, dRecurrent, dBias, dhNext, dcNext, ...(maskShape ? [tf.zeros(maskShape)] : [])];
    };
    return { value, gradFunc };
  });
}
