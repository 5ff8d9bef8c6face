/** JavaScript identifiers for IR values in generated code. */

const reserved = new Set(
  (
    "i n size rt p s b kernels Math erf break case catch class const continue debugger default delete do else " +
    "enum export extends false finally for function if import in instanceof new null return super switch this " +
    "throw true try typeof var void while with yield let static implements interface package private " +
    "protected public await arguments eval undefined NaN Infinity"
  ).split(" "),
);

/** `%12` -> `t12`, `dense_1.weight` -> `dense_1_weight`; never a reserved word or a kernel's own name. */
export function identifier(value: string): string {
  const temporary = /^%(\d+)$/.exec(value);
  if (temporary) return `t${temporary[1]}`;
  const id = value.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(\d)/, "_$1");
  return reserved.has(id) ? `${id}_` : id;
}
