/**
 * One invocation per output element: the frame of the library's index-mapping kernels
 * (im2col, col2im, pooling). A kernel body sees `i`, its element in [0, p.total), and its
 * `Params`, whose first two words are always `total` and `groupsX` (the folded grid's width).
 */
import type { GpuContext } from "./context.js";
import { foldGroups, linearWorkgroupSize } from "./grid.js";
import { PARAMS_WORDS } from "./recording-context.js";

/**
 * The WGSL of an elementwise kernel: `fields` are the Params fields after total and groupsX
 * (u32 each, `name: u32` joined by commas), `helpers` module-scope functions, `body` the code
 * run for element `i`.
 */
export function elementwiseShader(
  workgroupSize: number,
  fields: readonly string[],
  body: string,
  helpers = "",
): string {
  // A uniform struct's size rounds up to 16 bytes; unused padding words are harmless.
  const padding = (4 - ((fields.length + 2) % 4)) % 4;
  const all = [
    "total",
    "groupsX",
    ...fields,
    ...Array.from({ length: padding }, (_, j) => `pad${j}`),
  ];
  return `
struct Params { ${all.map((f) => `${f}: u32`).join(", ")} }
@group(0) @binding(0) var<storage, read_write> mem: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
${helpers}
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * p.groupsX + wid.x) * ${workgroupSize}u + li;
  if (i >= p.total) { return; }
${body}
}
`;
}

/**
 * Records an elementwise kernel over `total` elements: `name` keys the pipeline (with the
 * workgroup size), `values` are the Params fields after total and groupsX, in order.
 */
export function dispatchElementwise(
  ctx: GpuContext,
  name: string,
  total: number,
  fields: readonly string[],
  values: readonly number[],
  body: string,
  helpers = "",
): void {
  if (total <= 0) return;
  const size = linearWorkgroupSize(ctx.limits);
  const pipeline = ctx.pipeline(`${name}:${size}`, () =>
    elementwiseShader(size, fields, body, helpers),
  );
  const grid = foldGroups(Math.ceil(total / size), ctx.limits);
  const params = elementwiseParams;
  if (values.length + 2 > params.length) {
    throw new RangeError(`${name}: ${values.length} params do not fit ${params.length - 2}`);
  }
  params[0] = total;
  params[1] = grid.x;
  for (let i = 0; i < values.length; i++) params[2 + i] = values[i]!;
  params.fill(0, values.length + 2);
  ctx.dispatch(pipeline, params, grid.x, grid.y);
}

/** The params of the elementwise kernel being recorded (the context copies them at the call). */
const elementwiseParams = new Uint32Array(PARAMS_WORDS);
