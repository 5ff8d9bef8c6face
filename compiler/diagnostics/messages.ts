/**
 * Every diagnostic nnc reports, in one table: its stable code, a title for the docs, and a
 * message built from typed arguments. Codes never change meaning once released:
 * E1xx syntax, E2xx shapes and types, E3xx names, E4xx training settings, E5xx data;
 * warnings use the same hundreds with a W.
 */
export const diagnosticMessages = {
  // --- E1xx syntax -------------------------------------------------------------------------
  E101: {
    title: "unexpected token",
    message: (a: { expected: string; found: string }) => `expected ${a.expected}, found ${a.found}`,
  },
  E102: {
    title: "unterminated string",
    message: (_: Record<string, never>) =>
      'unterminated string: a string must end with `"` on the same line',
  },
  E103: {
    title: "unknown escape in string",
    message: (a: { escape: string }) =>
      `unknown escape \`${a.escape}\` in string; the escapes are \\", \\\\, \\n and \\t`,
  },
  E104: {
    title: "unexpected character",
    message: (a: { char: string; hint: string }) => `unexpected character \`${a.char}\`${a.hint}`,
  },
  E105: {
    title: "unterminated block comment",
    message: (_: Record<string, never>) => "unterminated block comment: `/*` has no matching `*/`",
  },
  E106: {
    title: "unclosed bracket",
    message: (a: { open: string; close: string }) =>
      `unclosed \`${a.open}\`: expected a matching \`${a.close}\``,
  },
  E107: {
    title: "unmatched closing bracket",
    message: (a: { close: string }) => `unmatched \`${a.close}\``,
  },
  E108: {
    title: "duplicate section",
    message: (a: { section: string; model: string }) =>
      `model ${a.model} has more than one \`${a.section}\` section`,
  },
  E109: {
    title: "missing forward section",
    message: (a: { model: string }) => `model ${a.model} has no \`forward\` section`,
  },
  E110: {
    title: "invalid number",
    message: (a: { text: string; tooLarge: boolean }) =>
      `invalid number \`${a.text}\`${a.tooLarge ? ": past the largest number there is (about 1.8e308)" : ""}`,
  },
  E111: {
    title: "nesting too deep",
    message: (a: { limit: number }) =>
      `nested too deeply: at most ${a.limit} levels of brackets, or of \`^\` in a row, are allowed`,
  },
  E112: {
    title: "expression too long",
    message: (a: { limit: number }) =>
      `expression too long: at most ${a.limit} operators or calls deep; split it with named bindings or a \`sum\``,
  },

  // --- E2xx shapes and types ---------------------------------------------------------------
  E201: {
    title: "shapes do not broadcast",
    message: (a: { verb: string; left: string; right: string }) =>
      `cannot ${a.verb} ${a.left} and ${a.right}`,
  },
  E202: {
    title: "matrix product dimensions do not match",
    message: (a: { left: string; right: string; detail: string }) =>
      `cannot multiply matrices ${a.left} and ${a.right}: ${a.detail}`,
  },
  E203: {
    title: "loss does not match its target",
    message: (a: { loss: string; output: string; target: string; detail: string }) =>
      `${a.loss}: ${a.output} does not match ${a.target}${a.detail}`,
  },
  E204: {
    title: "wrong rank",
    message: (a: { what: string; expected: string; actual: string }) =>
      `${a.what} expects ${a.expected}, got ${a.actual}`,
  },
  E205: {
    title: "wrong element type",
    message: (a: { what: string; detail: string }) => `${a.what} ${a.detail}`,
  },
  E206: {
    title: "axis out of range",
    message: (a: { axis: number; shape: string; what: string }) =>
      `${a.what}: axis ${a.axis} is out of range for ${a.shape}`,
  },
  E207: {
    title: "reshape changes the number of elements",
    message: (a: { from: string; to: string }) =>
      `cannot reshape ${a.from} to ${a.to}: the element counts differ`,
  },
  E208: {
    title: "concatenated shapes differ",
    message: (a: { left: string; right: string; axis: number; detail: string }) =>
      `cannot concatenate ${a.left} and ${a.right} along axis ${a.axis}: ${a.detail}`,
  },
  E209: {
    title: "parameter shape is not a known number",
    message: (a: { param: string; shape: string; dim: string }) =>
      `parameter ${a.param} would have shape ${a.shape}, but \`${a.dim}\` is symbolic; parameter sizes must be numbers`,
  },
  E210: {
    title: "loss is not a scalar",
    message: (a: { shape: string }) =>
      `the loss must be a scalar, but this expression has shape ${a.shape}`,
  },
  E211: {
    title: "window larger than its input",
    message: (a: { what: string; detail: string }) => `${a.what}: ${a.detail}`,
  },
  E212: {
    title: "wrong argument type",
    message: (a: { what: string; expected: string; actual: string }) =>
      `${a.what} expects ${a.expected}, got ${a.actual}`,
  },
  E213: {
    title: "argument out of range",
    message: (a: { what: string; expected: string; actual: string }) =>
      `${a.what} must be ${a.expected}, got ${a.actual}`,
  },
  E214: {
    title: "invalid batch dimension",
    message: (a: { detail: string }) => a.detail,
  },
  E218: {
    title: "model too large",
    message: (a: { model: string; layer: string; bytes: number; total: number; limit: number }) =>
      `model ${a.model} cannot fit in memory: layer ${a.layer} needs ${a.bytes.toLocaleString("en-US")} bytes for its parameters, ${a.total.toLocaleString("en-US")} bytes in all so far (at most ${a.limit.toLocaleString("en-US")})`,
  },
  E219: {
    title: "value too large",
    message: (a: { what: string; shape: string; elements: number; limit: number }) =>
      `${a.what} is ${a.shape}: ${a.elements.toLocaleString("en-US")} numbers per sample, more than a model can hold (at most ${a.limit.toLocaleString("en-US")}, 256 MiB as f32)`,
  },
  E220: {
    title: "loss weights do not match the output",
    message: (a: {
      loss: string;
      setting: string;
      count: number;
      output: string;
      expected: string;
    }) =>
      `${a.loss}: \`${a.setting}\` has ${a.count} numbers, but output ${a.output} needs ${a.expected}, one per element of its last axis`,
  },
  E217: {
    title: "dimension unknown when the model runs",
    message: (a: { model: string; dims: string }) =>
      `model ${a.model} uses the symbolic dimension ${a.dims}, which only the batch dimension may be when the model runs; give it a number`,
  },
  E216: {
    title: "loss does not depend on the model",
    message: (_: Record<string, never>) =>
      "the loss must be computed from the model's output or parameters, not constants alone",
  },
  E215: {
    title: "model output is not a tensor",
    message: (a: { model: string; actual: string }) =>
      `the forward section of ${a.model} must end with a tensor, not ${a.actual}`,
  },
  E222: {
    title: "cannot emit for PyTorch",
    message: (a: { model: string; reason: string }) =>
      `cannot emit model ${a.model} for PyTorch: ${a.reason}`,
  },

  // --- E3xx names ---------------------------------------------------------------------------
  E301: {
    title: "undefined name",
    message: (a: { name: string; suggestion: string }) =>
      `undefined name \`${a.name}\`${a.suggestion}`,
  },
  E302: {
    title: "unknown function, layer or activation",
    message: (a: { name: string; suggestion: string }) =>
      `unknown function, layer or activation \`${a.name}\`${a.suggestion}`,
  },
  E303: {
    title: "duplicate declaration",
    message: (a: { name: string; detail: string }) => `\`${a.name}\` is declared ${a.detail}`,
  },
  E304: {
    title: "name already defined",
    message: (a: { name: string }) => `\`${a.name}\` is already defined in this model`,
  },
  E305: {
    title: "unknown argument",
    message: (a: { callee: string; noun: string; name: string; suggestion: string }) =>
      `${a.callee} has no ${a.noun} \`${a.name}\`${a.suggestion}`,
  },
  E306: {
    title: "wrong number of arguments",
    message: (a: { callee: string; detail: string }) => `${a.callee}: ${a.detail}`,
  },
  E307: {
    title: "recursive definition",
    message: (a: { kind: string; name: string; path: string }) =>
      `${a.kind} \`${a.name}\` uses itself (${a.path}); recursion is not allowed`,
  },
  E308: {
    title: "argument given twice",
    message: (a: { callee: string; name: string }) =>
      `${a.callee}: argument \`${a.name}\` is given more than once`,
  },
  E309: {
    title: "misplaced layer or block",
    message: (a: { detail: string }) => a.detail,
  },
  E310: {
    title: "ambiguous or missing target",
    message: (a: { detail: string }) => a.detail,
  },
  E311: {
    title: "duplicate layer name",
    message: (a: { name: string }) => `a layer named \`${a.name}\` already exists in this model`,
  },
  E312: {
    title: "unknown parameter",
    message: (a: { name: string; suggestion: string }) =>
      `no parameter \`${a.name}\` among the layers created so far${a.suggestion}`,
  },
  E314: {
    title: "misplaced statement",
    message: (a: { detail: string }) => a.detail,
  },
  E315: {
    title: "target used in forward",
    message: (a: { name: string }) =>
      `\`${a.name}\` is a target: only the loss can read it, since the model must compute its output without the answer`,
  },
  E316: {
    title: "uses nested too deeply",
    message: (a: { limit: number; kind: string; name: string }) =>
      `${a.kind} \`${a.name}\` is used ${a.limit} fn or block calls deep: at most ${a.limit} are allowed`,
  },
  E313: {
    title: "name is not a value",
    message: (a: { name: string; what: string; hint: string }) =>
      `\`${a.name}\` is ${a.what}, not a value${a.hint}`,
  },

  // --- E4xx training settings ---------------------------------------------------------------
  E401: {
    title: "unknown optimizer",
    message: (a: { name: string; suggestion: string }) =>
      `unknown optimizer \`${a.name}\`${a.suggestion}`,
  },
  E402: {
    title: "unknown setting",
    message: (a: { callee: string; noun: string; name: string; suggestion: string }) =>
      `${a.callee} has no ${a.noun} \`${a.name}\`${a.suggestion}`,
  },
  E403: {
    title: "setting out of range",
    message: (a: { what: string; expected: string; actual: string }) =>
      `${a.what} must be ${a.expected}, got ${a.actual}`,
  },
  E404: {
    title: "wrong setting type",
    message: (a: { what: string; expected: string; actual: string }) =>
      `${a.what} expects ${a.expected}, got ${a.actual}`,
  },
  E405: {
    title: "missing or extra setting",
    message: (a: { callee: string; detail: string }) => `${a.callee}: ${a.detail}`,
  },
  E406: {
    title: "missing section for training",
    message: (a: { model: string; missing: string }) =>
      `model ${a.model} cannot be trained: it has no ${a.missing}`,
  },
  E407: {
    title: "unknown metric",
    message: (a: { name: string; suggestion: string }) =>
      `unknown metric \`${a.name}\`${a.suggestion}`,
  },
  E408: {
    title: "duplicate setting",
    message: (a: { callee: string; name: string }) =>
      `${a.callee}: \`${a.name}\` is set more than once`,
  },
  E409: {
    title: "inconsistent settings",
    message: (a: { detail: string }) => a.detail,
  },
  E410: {
    title: "unknown learning-rate schedule",
    message: (a: { name: string; suggestion: string }) =>
      `unknown lr_schedule \`${a.name}\`${a.suggestion}`,
  },
  E411: {
    title: "metric does not fit the model",
    message: (a: { detail: string }) => a.detail,
  },

  // --- E5xx data ----------------------------------------------------------------------------
  E501: {
    title: "unknown data source",
    message: (a: { what: string; suggestion: string }) =>
      `unknown data source ${a.what}${a.suggestion}`,
  },
  E502: {
    title: "data does not fit the model",
    message: (a: { detail: string }) => a.detail,
  },
  E503: {
    title: "data file cannot be read",
    message: (a: { path: string; reason: string }) => `cannot read ${a.path}: ${a.reason}`,
  },
  E504: {
    title: "malformed data",
    message: (a: { path: string; detail: string }) => `${a.path}: ${a.detail}`,
  },
  E505: {
    title: "checkpoint does not fit the model",
    message: (a: { detail: string }) => a.detail,
  },

  // --- warnings -----------------------------------------------------------------------------
  W201: {
    title: "no useful gradient",
    message: (a: { name: string }) =>
      `\`${a.name}\` has derivative 0 everywhere: the layers before it cannot learn by gradient descent`,
  },
  W202: {
    title: "output is not a probability",
    message: (a: { loss: string; detail: string }) =>
      `${a.loss} expects probabilities, but ${a.detail}`,
  },
  W301: {
    title: "unused name",
    message: (a: { name: string }) => `\`${a.name}\` is defined but never used`,
  },
  W401: {
    title: "suspicious setting",
    message: (a: { detail: string }) => a.detail,
  },
} as const;

export type DiagnosticCode = keyof typeof diagnosticMessages;

/** The arguments a code's message takes. */
export type MessageArgs<C extends DiagnosticCode> = Parameters<
  (typeof diagnosticMessages)[C]["message"]
>[0];

/** A diagnostic's code with its arguments, before it has a place in the source. */
export type DiagnosticData = {
  [C in DiagnosticCode]: { readonly code: C; readonly args: MessageArgs<C> };
}[DiagnosticCode];

export function formatMessage<C extends DiagnosticCode>(code: C, args: MessageArgs<C>): string {
  const entry = diagnosticMessages[code];
  return (entry.message as (a: MessageArgs<C>) => string)(args);
}
