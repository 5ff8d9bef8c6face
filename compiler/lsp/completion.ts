import { type CompletionItem, CompletionItemKind } from "vscode-languageserver";
import { assertNever } from "../assert.js";
import type { Decl } from "../syntax/ast.js";
import {
  type BuiltinName,
  type BuiltinNameKind,
  builtinNames,
  keywordGroups,
  sectionKeys,
  valueWords,
} from "../vocabulary.js";
import type { Analysis } from "./analysis.js";
import {
  type Frame,
  type Token,
  completionContext,
  keysWritten,
  pendingKey,
} from "./completion-context.js";
import { builtinText } from "./hover.js";
import { spanContains } from "./positions.js";
import { metricAverages } from "../lower/settings/metrics.js";
import { type NameRole, builtinsFor } from "./symbols.js";

/**
 * Completion items at a place in a document.
 *
 * Assumes: the document's current text (often incomplete) and, when there is one, an
 * `Analysis` of it for the user's own names. Guarantees: items fit the place, found lexically
 * (see completion-context.ts): declaration keywords at the top level; section keywords at the
 * start of a line in a model; optimizers after `optimizer`, metrics after `metrics` and their settings inside their
 * parentheses (`f1(` offers `average:`, then `macro`/`micro`); layers,
 * activations, functions, blocks, fns and `repeat` after `->`; a callee's argument names inside
 * its parentheses (`dense(` offers `units:`, `optimizer adam(` offers `beta1:`), those already
 * written left out; keys inside `train {`, `data {`, `early_stopping: {`, `checkpoint: {` and `split: {`; the
 * known words of a key's value (`source:` data sources, `normalize:` normalisations, `init:`
 * initialisers). Built-in names come from compiler/vocabulary.ts, so they cannot drift from
 * what `nnc check` accepts. Never throws on any text; an empty list where nothing fits.
 */

type Place =
  | { readonly kind: "top" }
  | { readonly kind: "model" }
  | { readonly kind: "forward" }
  | { readonly kind: "stages" }
  | { readonly kind: "settings"; readonly section: keyof typeof settingKeys }
  | {
      readonly kind: "call";
      readonly callee: string;
      readonly role: NameRole;
      readonly stage: boolean;
    }
  | { readonly kind: "none" };

const settingKeys = {
  train: sectionKeys.train,
  data: sectionKeys.data,
  early_stopping: sectionKeys.earlyStopping,
  checkpoint: sectionKeys.checkpoint,
  split: sectionKeys.split,
} as const;

const bools = ["true", "false"];
const initialisers = valueWords.initializers;

/** Words a key's value may be, by key. */
const valuesOf: Readonly<Record<string, readonly string[]>> = {
  shuffle: bools,
  drop_last: bools,
  early_stopping: bools,
  checkpoint: bools,
  restore_best: bools,
  bias: bools,
  nesterov: bools,
  init: initialisers,
  padding: ["valid", "same"],
  average: metricAverages,
  normalize: valueWords.normalize,
  monitor: ["val_loss", "loss"],
};

const itemKinds: Record<BuiltinNameKind, CompletionItemKind> = {
  layer: CompletionItemKind.Class,
  function: CompletionItemKind.Function,
  activation: CompletionItemKind.Function,
  loss: CompletionItemKind.Function,
  optimizer: CompletionItemKind.Module,
  metric: CompletionItemKind.EnumMember,
  "data-source": CompletionItemKind.Function,
  "lr-schedule": CompletionItemKind.Function,
};

export function completionsAt(
  text: string,
  offset: number,
  analysis: Analysis | null,
): CompletionItem[] {
  const ctx = completionContext(text, offset);
  if (ctx.quiet) return [];
  const frame = ctx.frames[ctx.frames.length - 1];
  if (!frame) return [];
  const place = classify(frame, ctx.frames.length - 1);
  const line = ctx.line;
  const last = line.at(-1);
  const user = userNames(analysis, offset);
  switch (place.kind) {
    case "top":
      return line.length === 0 ? keywordItems(keywordGroups.declaration) : [];
    case "model":
      return modelLine(line, user);
    case "forward":
    case "stages":
      if (last === undefined && place.kind === "forward") return valueItems(user, "value");
      if (last === undefined || isPunct(last, "->")) return stageItems(user);
      if (last.kind === "punct" && last.text !== ":") return valueItems(user, "value");
      // `x -> dense(512) |`: only `as` can follow a stage on its line.
      if (isPunct(line.at(-2), "->") && (last.kind === "name" || last.kind === "group"))
        return keywordItems(["as"]);
      return [];
    case "settings": {
      const key = pendingKey(line);
      if (key !== null) return settingValues(key);
      if (last !== undefined && !isPunct(last, ",")) return [];
      const written = keysWritten(frame);
      return keyItems(settingKeys[place.section].filter((k) => !written.has(k)));
    }
    case "call": {
      const key = pendingKey(line);
      if (key !== null) {
        const words = valuesOf[key];
        return words ? wordItems(words) : valueItems(user, "value");
      }
      if (last !== undefined && !isPunct(last, ",")) return [];
      const written = keysWritten(frame);
      const params = paramsOf(place, user).filter((p) => !written.has(p));
      const expressions = place.role === "call" || place.role === "value";
      return [...keyItems(params), ...(expressions ? valueItems(user, "value") : [])];
    }
    case "none":
      return [];
    default:
      return assertNever(place, "completion place");
  }
}

function isPunct(t: Token | undefined, text: string): boolean {
  return t?.kind === "punct" && t.text === text;
}

function classify(frame: Frame, depth: number): Place {
  if (depth === 0) return { kind: "top" };
  const b = frame.before;
  const last = b.at(-1);
  const second = b.at(-2);
  const third = b.at(-3);
  if (frame.open === "[") return { kind: "none" };
  if (frame.open === "{") {
    if (second?.text === "model") return { kind: "model" };
    if (last?.kind === "name" && last.text === "forward") return { kind: "forward" };
    if (last?.text === "train" || last?.text === "data")
      return { kind: "settings", section: last.text };
    if (
      isPunct(last, ":") &&
      (second?.text === "early_stopping" ||
        second?.text === "checkpoint" ||
        second?.text === "split")
    )
      return { kind: "settings", section: second.text };
    if (second?.text === "block" || third?.text === "block" || second?.text === "repeat")
      return { kind: "stages" };
    return { kind: "none" };
  }
  if (last?.kind !== "name") return { kind: "call", callee: "", role: "value", stage: false };
  if (second?.text === "fn" || second?.text === "block") return { kind: "none" };
  const role: NameRole =
    second?.text === "optimizer"
      ? "optimizer"
      : frame.lineHead?.text === "metrics"
        ? "metric"
        : isPunct(second, ":") && third?.text === "source"
          ? "data-source"
          : isPunct(second, ":") && third?.text === "lr_schedule"
            ? "lr-schedule"
            : "call";
  return { kind: "call", callee: last.text, role, stage: isPunct(second, "->") };
}

function modelLine(line: readonly Token[], user: UserNames): CompletionItem[] {
  const head = line[0];
  if (head === undefined) return keywordItems(keywordGroups.section);
  const last = line.at(-1);
  switch (head.text) {
    case "optimizer":
      return line.length === 1 ? builtinItems(["optimizer"]) : [];
    case "metrics":
      return line.length === 1 || isPunct(last, ",") ? builtinItems(["metric"]) : [];
    case "loss":
      return line.length === 1 || last?.kind === "punct" ? valueItems(user, "loss") : [];
    case "input":
    case "target":
      return isPunct(last, ":") ? wordItems(valueWords.dtypes) : [];
    default:
      return [];
  }
}

function settingValues(key: string): CompletionItem[] {
  if (key === "source") return builtinItems(["data-source"]);
  if (key === "lr_schedule") return builtinItems(["lr-schedule"]);
  const words = valuesOf[key];
  return words ? wordItems(words) : [];
}

interface UserNames {
  /** fns and blocks of the file. */
  readonly callables: readonly { name: string; decl: Decl }[];
  /** Inputs, targets, bindings and parameters visible where the cursor is. */
  readonly values: readonly string[];
}

function userNames(analysis: Analysis | null, offset: number): UserNames {
  if (!analysis) return { callables: [], values: [] };
  const callables: { name: string; decl: Decl }[] = [];
  const values = new Set<string>();
  for (const def of analysis.symbols.definitions) {
    if (def.kind === "fn" || def.kind === "block") {
      callables.push({ name: def.name, decl: def.node as Decl });
    } else if (def.kind !== "model" && def.kind !== "layer") {
      if (def.owner && spanContains(def.owner.span, offset)) values.add(def.name);
    }
  }
  return { callables, values: [...values] };
}

function paramsOf(place: Extract<Place, { kind: "call" }>, user: UserNames): readonly string[] {
  const own = user.callables.find((c) => c.name === place.callee);
  if (own && own.decl.kind !== "model") {
    const names = own.decl.params.map((p) => p.name.name);
    // A piped fn gets its first argument from the pipe; a block's input is not a parameter.
    return place.stage && own.decl.kind === "fn" ? names.slice(1) : names;
  }
  const builtin = builtinsFor(place.callee, place.role)[0];
  if (!builtin) return [];
  const piped = place.stage && builtin.kind !== "layer";
  return piped ? builtin.params.slice(1) : builtin.params;
}

function keywordItems(words: readonly string[]): CompletionItem[] {
  return words.map((w) => ({ label: w, kind: CompletionItemKind.Keyword }));
}

function wordItems(words: readonly string[]): CompletionItem[] {
  return words.map((w) => ({ label: w, kind: CompletionItemKind.Value }));
}

/** `units: ` for arguments and setting keys; listed before other items. */
function keyItems(keys: readonly string[]): CompletionItem[] {
  return keys.map((k, i) => ({
    label: k,
    kind: CompletionItemKind.Property,
    insertText: `${k}: `,
    sortText: `0${String(i).padStart(3, "0")}`,
  }));
}

function builtinItem(b: BuiltinName): CompletionItem {
  return { label: b.name, kind: itemKinds[b.kind], detail: builtinText(b) };
}

function builtinItems(kinds: readonly BuiltinNameKind[]): CompletionItem[] {
  return builtinNames.filter((b) => kinds.includes(b.kind)).map(builtinItem);
}

function callableItems(user: UserNames): CompletionItem[] {
  return user.callables.map((c) => ({
    label: c.name,
    kind: c.decl.kind === "block" ? CompletionItemKind.Module : CompletionItemKind.Function,
    detail: `${c.decl.kind} ${c.name}`,
  }));
}

/** After `->`: anything that can be a stage. */
function stageItems(user: UserNames): CompletionItem[] {
  return unique([
    ...callableItems(user),
    ...builtinItems(["layer", "activation", "function"]),
    ...keywordItems(keywordGroups.stage.filter((k) => k === "repeat")),
  ]);
}

/** Where an expression goes: names in scope, functions, and in a loss the losses. */
function valueItems(user: UserNames, where: "value" | "loss"): CompletionItem[] {
  const names = [...user.values, ...(where === "loss" ? ["output", "weights"] : [])];
  return unique([
    ...names.map((n) => ({ label: n, kind: CompletionItemKind.Variable })),
    ...callableItems(user).filter((c) => c.kind === CompletionItemKind.Function),
    ...builtinItems(
      where === "loss" ? ["loss", "function", "activation"] : ["function", "activation"],
    ),
  ]);
}

/** One item per label: a name that is two kinds of built-in is offered once, as the first. */
function unique(items: readonly CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.label) && (seen.add(i.label), true));
}
