import { broadcastOps, unaryOps } from "./ops/elementwise.js";
import { gatherOps } from "./ops/gather.js";
import { linalgOps } from "./ops/linalg.js";
import { lossOps } from "./ops/loss.js";
import { avgpoolOps } from "./ops/avgpool.js";
import { conv1dOps } from "./ops/conv1d.js";
import { nnOps } from "./ops/nn.js";
import { reduceOps } from "./ops/reduce.js";
import type { OpKind, OpTable } from "./ops/types.js";

/**
 * The table of primitive ops. Each group module defines its ops' rules side by side; this
 * table joins them, and `satisfies OpTable` makes a missing op or rule a type error.
 * docs/adding-an-op.md is the checklist for a new one.
 */
export const ops = {
  ...unaryOps,
  ...broadcastOps,
  ...reduceOps,
  ...linalgOps,
  ...nnOps,
  ...gatherOps,
  ...conv1dOps,
  ...avgpoolOps,
  ...lossOps,
} satisfies OpTable;

export const opKinds = Object.keys(ops) as readonly OpKind[];

export type {
  BinaryLossAttrs,
  CategoricalLossAttrs,
  OpAttrMap,
  OpAttrs,
  OpDef,
  OpKind,
  OpTable,
  Padding2d,
  Padding1d,
  AvgPoolAttrs,
  AxisSet,
  ElementContext,
  Lowering,
  GradRule,
  ReduceAttrs,
  ShapeContext,
  ShapeResult,
  ShapeRule,
} from "./ops/types.js";
