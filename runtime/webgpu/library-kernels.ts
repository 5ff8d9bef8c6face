/**
 * WGSL of the WebGPU backend's own kernels (copy, fill, reductions, softmax, metric sums,
 * dropout masks), each a `main` over the arena `mem` and its `Params` (context.ts's contract;
 * the prelude gives the bindings and the NaN helpers). Workgroup sizes are override constants
 * that the backend sets from the device's limits.
 *
 * 1-D kernels fold their grid into Y (recording-context.ts's dispatch1d): the flat index is
 * `id.x + id.y * groups.x * WORKGROUP_SIZE`.
 */

const FLAT_MAIN = `override WORKGROUP_SIZE: u32 = 64u;
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = id.x + id.y * groups.x * WORKGROUP_SIZE;`;

/** mem[dst + t] = mem[src + t] for t < size. */
export const COPY_WGSL = `struct Params { size: u32, src: u32, dst: u32 }
${FLAT_MAIN}
  if (t >= p.size) { return; }
  mem[p.dst + t] = mem[p.src + t];
}`;

/** mem[dst + t] = bitcast<f32>(value) for t < size. */
export const FILL_WGSL = `struct Params { size: u32, dst: u32, value: u32 }
${FLAT_MAIN}
  if (t >= p.size) { return; }
  mem[p.dst + t] = bitcast<f32>(p.value);
}`;

/**
 * One invocation per output (o, i) of a reduction over the middle axis of [outer, mid, inner]:
 * op 0 sums (0 when empty), op 1 takes the maximum (NaN propagates; -Infinity when empty).
 */
export const REDUCE_WGSL = `struct Params { outer: u32, mid: u32, inner: u32, x: u32, y: u32, op: u32 }
${FLAT_MAIN}
  if (t >= p.outer * p.inner) { return; }
  let o = t / p.inner;
  let i = t % p.inner;
  var at = p.x + o * p.mid * p.inner + i;
  var acc = select(0.0f, -inf_f32(), p.op == 1u);
  for (var j = 0u; j < p.mid; j++) {
    let v = mem[at];
    acc = select(acc + v, max_nan(acc, v), p.op == 1u);
    at += p.inner;
  }
  mem[p.y + t] = acc;
}`;

/**
 * One workgroup per output (o, i) when the middle axis is long: its invocations stride over j,
 * then a tree in workgroup memory. Workgroups fold into Y like flat grids.
 */
export const REDUCE_WORKGROUP_WGSL = `struct Params { outer: u32, mid: u32, inner: u32, x: u32, y: u32, op: u32 }
override WORKGROUP_SIZE: u32 = 64u;
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let t = wid.x + wid.y * groups.x;
  let valid = t < p.outer * p.inner;
  let o = t / max(p.inner, 1u);
  let i = t % max(p.inner, 1u);
  let base = p.x + o * p.mid * p.inner + i;
  var acc = select(0.0f, -inf_f32(), p.op == 1u);
  if (valid) {
    for (var j = lid; j < p.mid; j += WORKGROUP_SIZE) {
      let v = mem[base + j * p.inner];
      acc = select(acc + v, max_nan(acc, v), p.op == 1u);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      let a = partial[lid];
      let b = partial[lid + half];
      partial[lid] = select(a + b, max_nan(a, b), p.op == 1u);
    }
    workgroupBarrier();
  }
  if (lid == 0u && valid) { mem[p.y + t] = partial[0]; }
}`;

/**
 * One invocation per row (o, i) of [outer, mid, inner]: the maximum m (NaN propagates), then
 * s = sum of exp(x - m); op 0 writes softmax exp(x - m) / s, op 1 log-softmax x - m - log(s).
 * Each x is read before its own y is written, so y may be x.
 */
export const SOFTMAX_WGSL = `struct Params { outer: u32, mid: u32, inner: u32, x: u32, y: u32, op: u32 }
${FLAT_MAIN}
  if (t >= p.outer * p.inner) { return; }
  let o = t / p.inner;
  let i = t % p.inner;
  let first = o * p.mid * p.inner + i;
  var m = -inf_f32();
  for (var j = 0u; j < p.mid; j++) { m = max_nan(m, mem[p.x + first + j * p.inner]); }
  var s = 0.0f;
  for (var j = 0u; j < p.mid; j++) { s += exp_f(mem[p.x + first + j * p.inner] - m); }
  let log_s = log_f(s);
  let scale = 1.0f / s;
  for (var j = 0u; j < p.mid; j++) {
    let at = first + j * p.inner;
    let v = mem[p.x + at] - m;
    mem[p.y + at] = select(exp_f(v) * scale, v - log_s, p.op == 1u);
  }
}`;

/**
 * Metric sums of one batch (Backend.accumulateMetrics), in ONE workgroup: invocations stride
 * over rows, partial sums meet in workgroup memory, invocation 0 adds them to the running sums
 * with Kahan compensation (the compensations are kept at sums + comp), counts the step and
 * records the first non-finite one. Values are f32; counts are exact below 2^24 per slot.
 * Slots: 0 loss*rows, 1 correct, 2 squared, 3 absolute, 4 rows, 5 elements, 6 steps,
 * 7 firstNonFinite.
 */
export const METRICS_WGSL = `struct Params {
  rows: u32, classes: u32, ids: u32, metrics: u32,
  sums: u32, comp: u32, loss: u32, output: u32, labels: u32,
}
override WORKGROUP_SIZE: u32 = 64u;
var<workgroup> partial: array<vec4<f32>, WORKGROUP_SIZE>;
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn kahan_add(slot: u32, v: f32) {
  let s = mem[p.sums + slot];
  let y = v - mem[p.comp + slot];
  let t = s + y;
  mem[p.comp + slot] = (t - s) - y;
  mem[p.sums + slot] = t;
}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  let k = p.classes;
  var acc = vec4<f32>(0.0f);
  for (var r = lid; r < p.rows; r += WORKGROUP_SIZE) {
    let base = p.output + r * k;
    var bad = 0.0f;
    for (var c = 0u; c < k; c++) { bad = select(bad, 1.0f, !finite(mem[base + c])); }
    if (p.metrics != 0u) {
      var hit = false;
      if (k == 1u && p.ids == 0u) {
        hit = ge_f(mem[base], 0.5f) == ge_f(mem[p.labels + r], 0.5f);
      } else {
        var best = 0u;
        for (var c = 1u; c < k; c++) { if (gt_f(mem[base + c], mem[base + best])) { best = c; } }
        if (p.ids != 0u) {
          hit = eq_f(mem[p.labels + r], f32(best));
        } else {
          var truth = 0u;
          let tb = p.labels + r * k;
          for (var c = 1u; c < k; c++) { if (gt_f(mem[tb + c], mem[tb + truth])) { truth = c; } }
          hit = best == truth;
        }
      }
      var squared = 0.0f;
      var absolute = 0.0f;
      for (var c = 0u; c < k; c++) {
        var truth = 0.0f;
        if (p.ids != 0u) { truth = select(0.0f, 1.0f, eq_f(mem[p.labels + r], f32(c))); }
        else { truth = mem[p.labels + r * k + c]; }
        let d = mem[base + c] - truth;
        squared += d * d;
        absolute += abs(d);
      }
      acc += vec4<f32>(select(0.0f, 1.0f, hit), squared, absolute, bad);
    } else {
      acc.w += bad;
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid != 0u) { return; }
  let total = partial[0];
  let loss = mem[p.loss];
  let step = mem[p.sums + 6u] + 1.0f;
  mem[p.sums + 6u] = step;
  if (mem[p.sums + 7u] == 0.0f && (total.w != 0.0f || !finite(loss))) { mem[p.sums + 7u] = step; }
  kahan_add(0u, loss * f32(p.rows));
  kahan_add(4u, f32(p.rows));
  if (p.metrics != 0u) {
    kahan_add(1u, total.x);
    kahan_add(2u, total.y);
    kahan_add(3u, total.z);
    kahan_add(5u, f32(p.rows * k));
  }
}`;

/**
 * The extra metric sums of one batch (Backend.accumulateMetrics, MetricSlots), in ONE
 * workgroup, dispatched before METRICS_WGSL so that slot 4 still holds the rows before this
 * batch: invocations stride over rows for the top-k hits (a tree sum in workgroup memory) and
 * the (output, label) scores, then over classes, invocation c alone adding class c's confusion
 * counts and column c's r2 sums (Kahan, as METRICS_WGSL). A row's class is its first maximum;
 * a single output column (without ids) is one positive class at >= 0.5, -1 meaning none.
 * Slot offsets are relative to `sums`, as in runtime/cpu/metric-sums.ts, the reference.
 */
export const METRIC_EXTRAS_WGSL = `struct Params {
  rows: u32, classes: u32, ids: u32, top_k: u32,
  confusion: u32, r2: u32, scores: u32, sums: u32,
  comp: u32, output: u32, labels: u32, s_top: u32,
  s_tp: u32, s_predicted: u32, s_actual: u32, s_tsum: u32,
  s_tsq: u32, s_sse: u32, s_scores: u32,
}
override WORKGROUP_SIZE: u32 = 64u;
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
fn kahan_add(slot: u32, v: f32) {
  let s = mem[p.sums + slot];
  let y = v - mem[p.comp + slot];
  let t = s + y;
  mem[p.comp + slot] = (t - s) - y;
  mem[p.sums + slot] = t;
}
fn argmax_at(base: u32, k: u32) -> i32 {
  var best = 0u;
  for (var c = 1u; c < k; c++) { if (gt_f(mem[base + c], mem[base + best])) { best = c; } }
  return i32(best);
}
fn truth_of(r: u32) -> i32 {
  let k = p.classes;
  if (p.ids != 0u) {
    let t = mem[p.labels + r];
    return select(-1, i32(t), ge_f(t, 0.0f) && lt_f(t, f32(k)));
  }
  if (k == 1u) { return select(-1, 0, ge_f(mem[p.labels + r], 0.5f)); }
  return argmax_at(p.labels + r * k, k);
}
fn predicted_of(r: u32) -> i32 {
  let k = p.classes;
  if (k == 1u && p.ids == 0u) { return select(-1, 0, ge_f(mem[p.output + r], 0.5f)); }
  return argmax_at(p.output + r * k, k);
}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  let k = p.classes;
  let seen = u32(mem[p.sums + 4u]);
  var hits = 0.0f;
  for (var r = lid; r < p.rows; r += WORKGROUP_SIZE) {
    let base = p.output + r * k;
    if (p.top_k != 0u) {
      let truth = truth_of(r);
      if (truth >= 0) {
        let score = mem[base + u32(truth)];
        var higher = 0u;
        for (var c = 0u; c < k; c++) { if (gt_f(mem[base + c], score)) { higher++; } }
        if (higher < p.top_k) { hits += 1.0f; }
      }
    }
    if (p.scores != 0u) {
      let at = p.sums + p.s_scores + 2u * (seen + r);
      mem[at] = mem[base];
      mem[at + 1u] = select(0.0f, 1.0f, ge_f(mem[p.labels + r], 0.5f));
    }
  }
  partial[lid] = hits;
  workgroupBarrier();
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u && p.top_k != 0u) { kahan_add(p.s_top, partial[0]); }
  let groups = select(0u, k, p.confusion != 0u || p.r2 != 0u);
  for (var c = lid; c < groups; c += WORKGROUP_SIZE) {
    let ci = i32(c);
    var tp = 0.0f;
    var predicted = 0.0f;
    var actual = 0.0f;
    var tsum = 0.0f;
    var tsq = 0.0f;
    var sse = 0.0f;
    for (var r = 0u; r < p.rows; r++) {
      if (p.confusion != 0u) {
        let truth = truth_of(r);
        if (predicted_of(r) == ci) {
          predicted += 1.0f;
          if (truth == ci) { tp += 1.0f; }
        }
        if (truth == ci) { actual += 1.0f; }
      }
      if (p.r2 != 0u) {
        var t = 0.0f;
        if (p.ids != 0u) { t = select(0.0f, 1.0f, eq_f(mem[p.labels + r], f32(c))); }
        else { t = mem[p.labels + r * k + c]; }
        let d = mem[p.output + r * k + c] - t;
        tsum += t;
        tsq += t * t;
        sse += d * d;
      }
    }
    if (p.confusion != 0u) {
      kahan_add(p.s_tp + c, tp);
      kahan_add(p.s_predicted + c, predicted);
      kahan_add(p.s_actual + c, actual);
    }
    if (p.r2 != 0u) {
      kahan_add(p.s_tsum + c, tsum);
      kahan_add(p.s_tsq + c, tsq);
      kahan_add(p.s_sse + c, sse);
    }
  }
}`;

/**
 * Dropout masks from a counter-based generator: element t of draw `counter` under `seed` is a
 * hash of the three (PCG's output permutation, chained), so any element is computed alone and
 * a run with the same seed draws the same masks. u = top 24 bits / 2^24; mask = u < rate ? 0 :
 * keep.
 */
export const DROPOUT_WGSL = `struct Params { size: u32, mask: u32, seed: u32, counter: u32, rate: u32, keep: u32 }
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
${FLAT_MAIN}
  if (t >= p.size) { return; }
  let h = pcg(pcg(pcg(t ^ pcg(p.counter)) ^ p.seed) + t);
  let u = f32(h >> 8u) * (1.0f / 16777216.0f);
  mem[p.mask + t] = select(bitcast<f32>(p.keep), 0.0f, u < bitcast<f32>(p.rate));
}`;
