import { assertNever, invariant } from "../assert.js";
import type {
  Dim,
  DimAtom,
  DimExpr,
  DimTerm,
  QuotientDim,
  Shape,
  TensorType,
} from "../ir/types.js";

/**
 * Dimensions as polynomials with integer coefficients over names and floor quotients. This
 * file is the only one that builds compound dimensions or reads their structure; everything
 * else composes them with the constructors below, compares them with `dimsEqual` and prints
 * them with `formatDim`.
 *
 * Normal form (what every constructor returns): a number when the size is known; a name when
 * it is exactly one name; else the sum of its monomials, each `coefficient * atoms` with the
 * atoms sorted (names before quotients, by text), like monomials merged, zeros dropped and the
 * terms ordered by degree (highest first), then by their atoms, the constant last. Sizes equal
 * by commutativity, associativity, distributivity and the floor identities
 * floor((g p + c) / (g e)) = floor((p + floor(c / g)) / e) and
 * floor((d q + r) / d) = q + floor(r / d) (p, q integer-valued) have one normal form, so
 * `dimsEqual` compares structures. Deeper facts about floors (floor(h/2) + floor((h+1)/2) = h)
 * are not applied: such sizes compare unequal, the safe answer for a shape check.
 */

/** `coefficient * atoms[0] * atoms[1] ...`; no atoms is a constant. */
interface Monomial {
  readonly coefficient: number;
  readonly atoms: readonly DimAtom[];
}

// ---------------------------------------------------------------------------------------
// Printing: the only place a dimension becomes text.

/**
 * A dimension as diagnostics, summaries and dumps show it: `784`, `batch`, `784*batch`,
 * `n+2`, `h/2+1`. A quotient inside a product is parenthesised (`3*((h+1)/2)`), so the text
 * reads back with `*` and `/` left-associative and `/` flooring.
 */
export function formatDim(d: Dim): string {
  if (typeof d === "number") return String(d);
  if (typeof d === "string") return d;
  switch (d.kind) {
    case "product":
      return formatSigned(monomialOf(d), true);
    case "sum":
      return [...d.terms.map(monomialOf), { coefficient: d.constant, atoms: [] }]
        .filter((m) => m.coefficient !== 0)
        .map((m, i) => formatSigned(m, i === 0))
        .join("");
    case "quotient":
      return formatQuotient(d);
    default:
      return assertNever(d, "dimension");
  }
}

/** `[batch, 784]`; i32 tensors print as `i32[batch]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.map(formatDim).join(", ")}]`;
}

export function formatType(type: TensorType): string {
  return type.dtype === "f32" ? formatShape(type.shape) : `${type.dtype}${formatShape(type.shape)}`;
}

/** A monomial with its sign: `-` always when negative, `+` when it follows another term. */
function formatSigned(m: Monomial, first: boolean): string {
  const sign = m.coefficient < 0 ? "-" : first ? "" : "+";
  const magnitude = Math.abs(m.coefficient);
  if (m.atoms.length === 0) return `${sign}${magnitude}`;
  if (magnitude === 1 && m.atoms.length === 1) return `${sign}${formatAtom(m.atoms[0]!)}`;
  const factors = m.atoms.map((a) => (typeof a === "string" ? a : `(${formatQuotient(a)})`));
  return sign + (magnitude === 1 ? factors : [String(magnitude), ...factors]).join("*");
}

function formatAtom(a: DimAtom): string {
  return typeof a === "string" ? a : formatQuotient(a);
}

function formatQuotient(q: QuotientDim): string {
  const dividend = formatDim(q.dividend);
  return `${typeof q.dividend === "string" ? dividend : `(${dividend})`}/${q.divisor}`;
}

// ---------------------------------------------------------------------------------------
// Constructors: each returns the normal form.

/** `a + b + ...`; a number when every part is one. */
export function sumDim(dims: Shape): Dim {
  return fromMonomials(dims.flatMap(monomialsOf));
}

/** `a * b * ...` (1 for no factors); a number when every factor is one. */
export function productDim(dims: Shape): Dim {
  let product: readonly Monomial[] = [{ coefficient: 1, atoms: [] }];
  for (const d of dims) product = multiply(product, monomialsOf(d));
  return fromMonomials(product);
}

/** floor(dividend / divisor) for a positive integer divisor. */
export function quotientDim(dividend: Dim, divisor: number): Dim {
  invariant(
    Number.isInteger(divisor) && divisor >= 1,
    `a dimension divided by ${divisor}, not a positive integer`,
  );
  const terms = normalise(monomialsOf(dividend));
  let symbolic = terms.filter((m) => m.atoms.length > 0);
  let constant = terms.find((m) => m.atoms.length === 0)?.coefficient ?? 0;
  // Cancel what the divisor shares with every symbolic coefficient.
  const common = symbolic.reduce((g, m) => gcd(g, m.coefficient), divisor);
  symbolic = symbolic.map((m) => ({ coefficient: m.coefficient / common, atoms: m.atoms }));
  constant = Math.floor(constant / common);
  const rest = divisor / common;
  // Whole multiples of the divisor come out of the floor; remainders in [0, rest) stay in.
  const whole: Monomial[] = [];
  const remainders: Monomial[] = [];
  for (const m of [...symbolic, { coefficient: constant, atoms: [] }]) {
    const remainder = ((m.coefficient % rest) + rest) % rest;
    whole.push({ coefficient: (m.coefficient - remainder) / rest, atoms: m.atoms });
    remainders.push({ coefficient: remainder, atoms: m.atoms });
  }
  const inside = fromMonomials(remainders);
  // A constant remainder is below the divisor, so its floor is 0.
  if (typeof inside === "number") return fromMonomials(whole);
  const quotient: QuotientDim = { kind: "quotient", dividend: inside, divisor: rest };
  return fromMonomials([...whole, { coefficient: 1, atoms: [quotient] }]);
}

/**
 * `a / b` when it divides exactly: `b` a single term dividing every term of `a`
 * (`(784*batch) / batch` is 784), or `a` that single term times `b`. Null otherwise,
 * including division by 0; a quotient of two sums that is itself a sum is not found.
 */
export function divideDim(a: Dim, b: Dim): Dim | null {
  const dividend = normalise(monomialsOf(a));
  const divisor = normalise(monomialsOf(b));
  const lead = divisor[0];
  if (lead === undefined) return null;
  if (divisor.length === 1) {
    const terms = dividend.map((m) => divideMonomial(m, lead));
    return terms.every((m): m is Monomial => m !== null) ? fromMonomials(terms) : null;
  }
  const top = dividend[0];
  const single = top === undefined ? null : divideMonomial(top, lead);
  if (single === null) return null;
  const quotient = fromMonomials([single]);
  return dimsEqual(productDim([quotient, b]), a) ? quotient : null;
}

// ---------------------------------------------------------------------------------------
// Reading dimensions.

export function dimsEqual(a: Dim, b: Dim): boolean {
  // A compound normal form is never a number or a name.
  if (typeof a !== "object" || typeof b !== "object") return a === b;
  return dimKey(a) === dimKey(b);
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsEqual(d, b[i] as Dim));
}

/** A text that two shapes share exactly when `shapesEqual` holds: for maps keyed by shape. */
export function shapeKey(shape: Shape): string {
  return JSON.stringify(
    shape.map((d) =>
      typeof d === "number" ? `n${d}` : typeof d === "string" ? `s${d}` : `e${dimKey(d)}`,
    ),
  );
}

/**
 * NumPy broadcasting: shapes aligned from the right; a dimension of 1 stretches to the other.
 * Symbolic dimensions only match themselves (or 1). Returns null when the shapes do not broadcast.
 */
export function broadcastShapes(a: Shape, b: Shape): Shape | null {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (dimsEqual(da, db) || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return null;
  }
  return out;
}

/** `axis` (negative counts from the end) as an index into a shape of `rank`, or null if out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  const index = axis < 0 ? rank + axis : axis;
  return Number.isInteger(index) && index >= 0 && index < rank ? index : null;
}

/** The first dimension of a shape that is not a number, if any. */
export function firstSymbolic(shape: Shape): Dim | undefined {
  return shape.find((d) => typeof d !== "number");
}

/**
 * A dimension as `factor * batch^power` when it is a number, the batch dimension, or a
 * product of those (`784*batch` from flattening): the sizes code can compute at run time.
 * Null for anything else (another name, a sum, a quotient).
 */
export function batchMonomial(
  d: Dim,
  batch: string,
): { readonly factor: number; readonly power: number } | null {
  const terms = normalise(monomialsOf(d));
  const only = terms[0];
  if (only === undefined) return { factor: 0, power: 0 };
  if (terms.length > 1 || !only.atoms.every((a) => a === batch)) return null;
  return { factor: only.coefficient, power: only.atoms.length };
}

/** Whether an attribute value is a compound dimension (a slice's symbolic start or size). */
export function isDimExpr(value: unknown): value is DimExpr {
  if (typeof value !== "object" || value === null || !("kind" in value)) return false;
  return value.kind === "product" || value.kind === "sum" || value.kind === "quotient";
}

/** The size a dimension stands for, given the size of each name. */
export function evaluateDim(d: Dim, sizeOf: (name: string) => number): number {
  if (typeof d === "number") return d;
  if (typeof d === "string") return sizeOf(d);
  switch (d.kind) {
    case "product":
      return d.symbols.reduce((p, a) => p * evaluateDim(a, sizeOf), d.factor);
    case "sum":
      return d.terms.reduce((s, t) => s + evaluateDim(t, sizeOf), d.constant);
    case "quotient":
      return Math.floor(evaluateDim(d.dividend, sizeOf) / d.divisor);
    default:
      return assertNever(d, "dimension");
  }
}

// ---------------------------------------------------------------------------------------
// The polynomial underneath.

function monomialsOf(d: Dim): readonly Monomial[] {
  if (typeof d === "number") return d === 0 ? [] : [{ coefficient: d, atoms: [] }];
  if (typeof d === "string") return [{ coefficient: 1, atoms: [d] }];
  switch (d.kind) {
    case "product":
    case "quotient":
      return [monomialOf(d)];
    case "sum":
      return [...d.terms.map(monomialOf), ...monomialsOf(d.constant)];
    default:
      return assertNever(d, "dimension");
  }
}

function monomialOf(t: DimTerm): Monomial {
  if (typeof t === "string" || t.kind === "quotient") return { coefficient: 1, atoms: [t] };
  return { coefficient: t.factor, atoms: t.symbols };
}

function multiply(a: readonly Monomial[], b: readonly Monomial[]): Monomial[] {
  return a.flatMap((x) =>
    b.map((y) => ({
      coefficient: x.coefficient * y.coefficient,
      atoms: [...x.atoms, ...y.atoms].sort(compareAtoms),
    })),
  );
}

/** `m / by` when `by`'s atoms are among `m`'s and its coefficient divides `m`'s, else null. */
function divideMonomial(m: Monomial, by: Monomial): Monomial | null {
  const coefficient = m.coefficient / by.coefficient;
  if (!Number.isInteger(coefficient)) return null;
  const atoms = [...m.atoms];
  for (const a of by.atoms) {
    const at = atoms.findIndex((b) => compareAtoms(a, b) === 0);
    if (at < 0) return null;
    atoms.splice(at, 1);
  }
  return { coefficient, atoms };
}

/** Like monomials merged, zeros dropped, in normal-form order. */
function normalise(terms: readonly Monomial[]): Monomial[] {
  const merged = new Map<string, Monomial>();
  for (const m of terms) {
    const atoms = [...m.atoms].sort(compareAtoms);
    const key = atomsKey(atoms);
    const coefficient = (merged.get(key)?.coefficient ?? 0) + m.coefficient;
    merged.set(key, { coefficient, atoms });
  }
  return [...merged.values()]
    .filter((m) => m.coefficient !== 0)
    .sort((x, y) => y.atoms.length - x.atoms.length || compareAtomLists(x.atoms, y.atoms));
}

function fromMonomials(terms: readonly Monomial[]): Dim {
  const sorted = normalise(terms);
  const constant = sorted.find((m) => m.atoms.length === 0)?.coefficient ?? 0;
  const symbolic = sorted.filter((m) => m.atoms.length > 0).map(termOf);
  const [only] = symbolic;
  if (only === undefined) return constant;
  if (symbolic.length === 1 && constant === 0) return only;
  return { kind: "sum", terms: symbolic, constant };
}

function termOf(m: Monomial): DimTerm {
  const [only] = m.atoms;
  if (m.coefficient === 1 && m.atoms.length === 1 && only !== undefined) return only;
  return { kind: "product", factor: m.coefficient, symbols: m.atoms };
}

/** Names first, then quotients; each by text. */
function compareAtoms(a: DimAtom, b: DimAtom): number {
  if (typeof a === "string") return typeof b === "string" ? compareText(a, b) : -1;
  return typeof b === "string" ? 1 : compareText(atomKey(a), atomKey(b));
}

function compareAtomLists(a: readonly DimAtom[], b: readonly DimAtom[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareAtoms(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text that identifies a normal form (equal keys, equal dimensions); never shown. */
function dimKey(d: Dim): string {
  return normalise(monomialsOf(d))
    .map((m) => `${m.coefficient}:${atomsKey(m.atoms)}`)
    .join("+");
}

function atomsKey(atoms: readonly DimAtom[]): string {
  return atoms.map(atomKey).join("*");
}

function atomKey(a: DimAtom): string {
  return typeof a === "string" ? a : `(${dimKey(a.dividend)})/${a.divisor}`;
}

function gcd(a: number, b: number): number {
  let [x, y] = [Math.abs(a), Math.abs(b)];
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}
