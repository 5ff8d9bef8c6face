import { invariant } from "../assert.js";
import { type IrAlgebra, IrBuilder, type ValueOperand } from "../ir/builder.js";
import type { IrFunction, StateDecl, Update } from "../ir/function.js";
import type { OptimizerSpec } from "../ir/settings.js";
import type { Operand, TypedParam } from "../ir/types.js";
import { allAxes } from "../ops/axes.js";

/** The learning rate, set by the training loop each epoch (schedules change it). */
export const LR = "optimizer.lr";
/** The number of steps taken so far, kept between steps. */
export const STEP = "optimizer.step";

/**
 * Appends the optimizer's update of every trainable parameter to a differentiated function.
 *
 * Assumes: a `train` function from `differentiate`, with a gradient for every trainable
 * parameter.
 * Guarantees: the update rules of torch.optim (PyTorch 1.13, single-tensor forms) with the
 * same defaults, as elementwise equations, on the gradients clipped as torch.nn.utils clips them
 * when the spec asks (clipGradients); state buffers named after their parameter as
 * PyTorch names them (`dense_1.weight.exp_avg`); the learning rate as the scalar input
 * `optimizer.lr`; the step count as state `optimizer.step`. All new values are updates,
 * applied together after the step, so every rule reads the values from before it.
 */
export function appendOptimizer(fn: IrFunction, spec: OptimizerSpec): IrFunction {
  const builder = IrBuilder.typed(fn.eqns, fn.types);
  builder.declare(LR, { dtype: "f32", shape: [] });
  builder.declare(STEP, { dtype: "f32", shape: [] });
  const state: StateDecl[] = [{ name: STEP, shape: [], param: null, init: 0 }];
  const updates: Update[] = [...fn.updates];
  const set = (target: string, v: ValueOperand) => updates.push({ target, value: v.name });
  const t = builder.at({ origin: spec.span, callSites: [], layer: null }).add(value(STEP), c(1));
  set(STEP, t);
  const lr = value(LR);
  const trainable = fn.params.filter((q) => q.trainable);
  const clipped = clipGradients(
    builder.at({ origin: spec.span, callSites: [], layer: null }),
    spec,
    trainable.map((p) => {
      const grad = fn.gradients.get(p.name);
      invariant(grad !== undefined, `no gradient for ${p.name}`);
      return value(grad);
    }),
  );

  for (const [i, p] of trainable.entries()) {
    const buffer = (suffix: string, init = 0): ValueOperand => {
      const name = `${p.name}.${suffix}`;
      state.push({ name, shape: p.shape, param: p.name, init });
      builder.declare(name, { dtype: "f32", shape: p.shape });
      return value(name);
    };
    const m = builder.at({ origin: spec.span, callSites: [], layer: p.layer });
    const rule = updateRule(spec, m, {
      p: value(p.name),
      g: clipped[i]!,
      lr,
      t,
      buffer,
      set,
      param: p,
    });
    set(p.name, rule);
  }
  return {
    ...fn,
    eqns: builder.eqns,
    types: builder.types,
    state,
    scalars: [LR],
    updates,
  };
}

/**
 * torch.nn.utils.clip_grad_value_ then clip_grad_norm_ (PyTorch 1.13), as the optimizer sees the
 * gradients: each element clamped to [-v, v]; then every gradient times
 * min(1, max_norm / (norm + 1e-6)), norm = sqrt(sum over all gradients of sum(g^2)). Value
 * clipping comes first so that the gradients the step sees satisfy both bounds (scaling by at
 * most 1 keeps them inside [-v, v]). The norm is a reduction like any other: it stays on the
 * device.
 */
function clipGradients(
  m: IrAlgebra,
  spec: OptimizerSpec,
  grads: readonly Operand[],
): readonly Operand[] {
  const { clipGradValue, clipGradNorm } = spec;
  let clipped = grads;
  if (clipGradValue !== undefined) {
    clipped = clipped.map((g) => m.clip(g, c(-clipGradValue), c(clipGradValue)));
  }
  if (clipGradNorm !== undefined && clipped.length > 0) {
    const squares = clipped.map((g) => m.sum(m.square(g), allAxes, false));
    const total = squares.slice(1).reduce<Operand>((sum, s) => m.add(sum, s), squares[0]!);
    const norm = m.sqrt(total);
    const coefficient = m.binary("minimum", m.div(c(clipGradNorm), m.add(norm, c(1e-6))), c(1));
    clipped = clipped.map((g) => m.mul(g, coefficient));
  }
  return clipped;
}

interface RuleInputs {
  readonly p: Operand;
  readonly g: Operand;
  readonly lr: Operand;
  /** The step number, counting from 1 at the first update. */
  readonly t: Operand;
  readonly buffer: (suffix: string, init?: number) => ValueOperand;
  readonly set: (target: string, value: ValueOperand) => void;
  readonly param: TypedParam;
}

/** The parameter's new value; state updates are recorded with `set`. */
function updateRule(spec: OptimizerSpec, m: IrAlgebra, r: RuleInputs): ValueOperand {
  const { p, lr } = r;
  // L2 weight decay as torch.optim adds it: to the gradient (AdamW decouples it, below).
  const decayed = (wd: number): Operand => (wd === 0 ? r.g : m.add(r.g, m.mul(c(wd), p)));
  switch (spec.kind) {
    case "sgd": {
      let step = decayed(spec.weightDecay);
      if (spec.momentum !== 0) {
        const buf = r.buffer("momentum_buffer");
        // The first step starts the buffer at the gradient itself (no dampening), as torch does.
        const moved = m.add(m.mul(c(spec.momentum), buf), m.mul(c(1 - spec.dampening), step));
        const next = m.where(m.binary("eq", r.t, c(1)), step, moved);
        r.set(buf.name, next);
        step = spec.nesterov ? m.add(step, m.mul(c(spec.momentum), next)) : next;
      }
      return m.sub(p, m.mul(lr, step));
    }
    case "adagrad": {
      const grad = decayed(spec.weightDecay);
      const sum = m.add(r.buffer("sum"), m.mul(grad, grad));
      r.set(`${r.param.name}.sum`, sum);
      return m.sub(p, m.mul(lr, m.div(grad, m.add(m.sqrt(sum), c(spec.eps)))));
    }
    case "rmsprop": {
      const grad = decayed(spec.weightDecay);
      const squareAvg = m.add(
        m.mul(c(spec.alpha), r.buffer("square_avg")),
        m.mul(c(1 - spec.alpha), m.mul(grad, grad)),
      );
      r.set(`${r.param.name}.square_avg`, squareAvg);
      const scaled = m.div(grad, m.add(m.sqrt(squareAvg), c(spec.eps)));
      if (spec.momentum === 0) return m.sub(p, m.mul(lr, scaled));
      const buf = m.add(m.mul(c(spec.momentum), r.buffer("momentum_buffer")), scaled);
      r.set(`${r.param.name}.momentum_buffer`, buf);
      return m.sub(p, m.mul(lr, buf));
    }
    case "adadelta": {
      const grad = decayed(spec.weightDecay);
      const squareAvg = m.add(
        m.mul(c(spec.rho), r.buffer("square_avg")),
        m.mul(c(1 - spec.rho), m.mul(grad, grad)),
      );
      r.set(`${r.param.name}.square_avg`, squareAvg);
      const accDelta = r.buffer("acc_delta");
      const delta = m.mul(
        m.div(m.sqrt(m.add(accDelta, c(spec.eps))), m.sqrt(m.add(squareAvg, c(spec.eps)))),
        grad,
      );
      r.set(
        `${r.param.name}.acc_delta`,
        m.add(m.mul(c(spec.rho), accDelta), m.mul(c(1 - spec.rho), m.mul(delta, delta))),
      );
      return m.sub(p, m.mul(lr, delta));
    }
    case "adam":
    case "adamw": {
      // AdamW shrinks the parameter itself before the Adam step (decoupled weight decay).
      const start =
        spec.kind === "adamw" && spec.weightDecay !== 0
          ? m.mul(p, m.sub(c(1), m.mul(lr, c(spec.weightDecay))))
          : p;
      const grad = spec.kind === "adam" ? decayed(spec.weightDecay) : r.g;
      const expAvg = m.add(
        m.mul(c(spec.beta1), r.buffer("exp_avg")),
        m.mul(c(1 - spec.beta1), grad),
      );
      const expAvgSq = m.add(
        m.mul(c(spec.beta2), r.buffer("exp_avg_sq")),
        m.mul(c(1 - spec.beta2), m.mul(grad, grad)),
      );
      r.set(`${r.param.name}.exp_avg`, expAvg);
      r.set(`${r.param.name}.exp_avg_sq`, expAvgSq);
      const correction1 = m.sub(c(1), m.pow(c(spec.beta1), r.t));
      const correction2 = m.sub(c(1), m.pow(c(spec.beta2), r.t));
      const stepSize = m.div(lr, correction1);
      const denom = m.add(m.div(m.sqrt(expAvgSq), m.sqrt(correction2)), c(spec.eps));
      return m.sub(start, m.mul(stepSize, m.div(expAvg, denom)));
    }
  }
}

const c = (v: number): Operand => ({ kind: "const", value: v });
const value = (name: string): ValueOperand => ({ kind: "value", name });
