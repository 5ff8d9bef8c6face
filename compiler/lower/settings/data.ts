import { didYouMeanOrList } from "../../diagnostics/suggest.js";
import type { LocatedDataSettings, Spanned } from "../../ir/settings.js";
import type { DataSettings, DataSourceSettings } from "../../../runtime/spec.js";
import type { DataSection } from "../../syntax/ast.js";
import { ArgReader } from "../arg-reader.js";
import { type Signature, bindArguments, settingCallCodes, settingCodes } from "../arguments.js";
import type { Reporter } from "../reporter.js";
import { type LocatedArg, describeVal } from "../values.js";
import { entryArgs } from "./literal.js";

/**
 * The `data` section: where `nnc train` reads data (`source`), the held-out test part
 * (`split`) and feature scaling (`normalize`). Files are only read when training.
 */

export const dataSignature: Signature = {
  name: "data",
  params: ["source", "split", "normalize"].map((name) => ({ name, required: false })),
};

export const sourceSignatures: Record<DataSourceSettings["kind"], Signature> = {
  csv: {
    name: "csv",
    params: [
      { name: "path", required: true },
      { name: "target", required: false },
      { name: "drop", required: false },
    ],
  },
  mnist: { name: "mnist", params: [{ name: "dir", required: false }] },
  fashion_mnist: { name: "fashion_mnist", params: [{ name: "dir", required: false }] },
  idx: {
    name: "idx",
    params: [
      { name: "images", required: true },
      { name: "labels", required: true },
    ],
  },
};

export function lowerData(section: DataSection, reporter: Reporter): LocatedDataSettings | null {
  const bound = bindArguments(
    dataSignature,
    entryArgs(section.entries, reporter),
    section.span,
    reporter,
    settingCodes,
  );
  if (!bound) return null;
  const r = new ArgReader(bound, "data", reporter, () => [], settingCodes);
  const sourceArg = r.get("source");
  const source = sourceArg ? dataSource(sourceArg, reporter) : null;
  const normalize = r.word<DataSettings["normalize"]>(
    "normalize",
    ["standard", "minmax", "none"],
    "none",
  );
  const split = testSplit(r.get("split"), reporter);
  if (r.failed || (sourceArg && !source) || split === undefined) return null;
  return { source, split, normalize };
}

function dataSource(arg: LocatedArg, reporter: Reporter): Spanned<DataSourceSettings> | null {
  const v = arg.val;
  if (v.kind === "error") return null;
  const name = v.kind === "symcall" || v.kind === "symbol" ? v.name : null;
  if (name === null || !(name in sourceSignatures)) {
    const example = v.kind === "string" ? JSON.stringify(v.value) : '"data.csv"';
    reporter.report("E501", arg.span, {
      what: name === null ? (v.kind === "string" ? example : describeVal(v)) : `\`${name}\``,
      suggestion:
        name === null
          ? `; a source is a call: write e.g. csv(${example}, target: "y")`
          : didYouMeanOrList(name, Object.keys(sourceSignatures), "sources"),
    });
    return null;
  }
  const kind = name as DataSourceSettings["kind"];
  const bound = bindArguments(
    sourceSignatures[kind],
    v.kind === "symcall" ? v.args : [],
    arg.span,
    reporter,
    settingCallCodes,
  );
  if (!bound) return null;
  const r = new ArgReader(bound, name, reporter, () => [], settingCallCodes);
  const text = (param: string): string | null => {
    const a = r.get(param);
    if (!a) return null;
    if (a.val.kind === "string") return a.val.value;
    if (a.val.kind !== "error") {
      reporter.report("E404", a.span, {
        what: `${name} setting \`${param}\``,
        expected: "a string",
        actual: describeVal(a.val),
      });
    }
    r.failed = true;
    return null;
  };
  const texts = (param: string): readonly string[] | null => {
    const a = r.get(param);
    if (!a) return null;
    if (a.val.kind === "string") return [a.val.value];
    if (a.val.kind === "list" && a.val.items.every((i) => i.val.kind === "string")) {
      return a.val.items.map((i) => (i.val as { value: string }).value);
    }
    if (a.val.kind !== "error") {
      reporter.report("E404", a.span, {
        what: `${name} setting \`${param}\``,
        expected: "a string or a list of strings",
        actual: describeVal(a.val),
      });
    }
    r.failed = true;
    return null;
  };
  let source: Spanned<DataSourceSettings>;
  switch (kind) {
    case "csv":
      source = {
        kind,
        path: text("path") ?? "",
        target: texts("target"),
        drop: texts("drop") ?? [],
        span: arg.span,
      };
      break;
    case "mnist":
    case "fashion_mnist":
      source = { kind, dir: text("dir"), span: arg.span };
      break;
    case "idx":
      source = { kind, images: text("images") ?? "", labels: text("labels") ?? "", span: arg.span };
      break;
  }
  return r.failed ? null : source;
}

/** `split: { test: 0.2, seed: 2022 }`; undefined when it was malformed (reported). */
function testSplit(
  arg: LocatedArg | undefined,
  reporter: Reporter,
): DataSettings["split"] | undefined {
  if (!arg || arg.val.kind === "error") return arg ? undefined : null;
  if (arg.val.kind !== "object") {
    reporter.report("E404", arg.span, {
      what: "data setting `split`",
      expected: "{ test: 0.2, seed: 0 }",
      actual: describeVal(arg.val),
    });
    return undefined;
  }
  const signature: Signature = {
    name: "split",
    params: [
      { name: "test", required: true },
      { name: "seed", required: false },
    ],
  };
  const bound = bindArguments(signature, arg.val.entries, arg.span, reporter, settingCodes);
  if (!bound) return undefined;
  const r = new ArgReader(bound, "split", reporter, () => [], settingCodes);
  const split = {
    test: r.number("test", 0.2, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    seed: r.number("seed", 0, { integer: true, min: 0 }),
  };
  return r.failed ? undefined : split;
}
