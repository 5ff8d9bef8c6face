/**
 * The WGSL that the backend's own shaders and the compiler's kernels start with (the backend
 * prepends it; those shaders do not declare the bindings themselves): the two bindings (the
 * arena `mem: array<f32>` and the uniform `p: Params`, a struct each shader declares) and
 * NaN-aware helpers. Other library shaders (GEMM) are complete modules and may bind the arena
 * differently (as vec4).
 *
 * Why the helpers: WGSL lets an implementation assume that no NaN or infinity occurs, so
 * `x != x` may fold to false and `max` need not propagate NaN. NaN is tested on the bits, and
 * NaN and the infinities are made at run time from private variables (a constant expression
 * that is not finite is a shader-creation error). `max_nan`/`min_nan` are PyTorch's
 * `maximum`/`minimum`: NaN when either operand is NaN; `lt_f`... `ne_f` are comparisons false
 * on NaN (`ne_f` true), `nonzero_f` a number as a condition (NaN is true).
 */

export const WGSL_PRELUDE = `@group(0) @binding(0) var<storage, read_write> mem: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f32() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f32() -> f32 { return bitcast<f32>(INF_BITS); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn max_nan(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, is_nan(b)), a, is_nan(a)); }
fn min_nan(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, is_nan(b)), a, is_nan(a)); }
fn either_nan(a: f32, b: f32) -> bool { return is_nan(a) || is_nan(b); }
fn lt_f(a: f32, b: f32) -> bool { return a < b && !either_nan(a, b); }
fn gt_f(a: f32, b: f32) -> bool { return a > b && !either_nan(a, b); }
fn le_f(a: f32, b: f32) -> bool { return a <= b && !either_nan(a, b); }
fn ge_f(a: f32, b: f32) -> bool { return a >= b && !either_nan(a, b); }
fn eq_f(a: f32, b: f32) -> bool { return a == b && !either_nan(a, b); }
fn ne_f(a: f32, b: f32) -> bool { return a != b || either_nan(a, b); }
fn nonzero_f(x: f32) -> bool { return x != 0.0f || is_nan(x); }
`;
