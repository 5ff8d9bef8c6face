/**
 * The benchmark's report: sections of titled tables with notes, printed as aligned text on the
 * terminal and as markdown in bench/RESULTS.md. Cells are strings already formatted; numeric
 * columns are right-aligned (`Table.right`).
 */

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  /** Indices of right-aligned (numeric) columns. */
  readonly right: ReadonlySet<number>;
  readonly rows: readonly (readonly string[])[];
  /** Sentences printed under the table. */
  readonly notes: readonly string[];
}

export interface Section {
  readonly title: string;
  /** Lines before the tables (plain text; markdown renders them as a paragraph each). */
  readonly lines: readonly string[];
  readonly tables: readonly Table[];
}

export function table(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly right?: readonly number[]; readonly notes?: readonly string[] } = {},
): Table {
  return {
    title,
    columns,
    right: new Set(options.right ?? []),
    rows,
    notes: options.notes ?? [],
  };
}

/** A figure with `decimals` decimals, or by magnitude (12345, 123.4, 12.34, 1.234); "-" if none. */
export function figure(value: number | null | undefined, decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  if (decimals !== undefined) return value.toFixed(decimals);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3);
}

/** A ratio as `1.23x`; "-" when either side is missing. */
export function ratio(
  numerator: number | null | undefined,
  denominator: number | null | undefined,
): string {
  if (!numerator || !denominator || !Number.isFinite(numerator / denominator)) return "-";
  return `${(numerator / denominator).toFixed(2)}x`;
}

export function textSection(section: Section): string {
  const out: string[] = [`== ${section.title} ==`, ...section.lines];
  for (const t of section.tables) {
    out.push("", t.title);
    const widths = t.columns.map((c, i) =>
      Math.max(c.length, ...t.rows.map((r) => (r[i] ?? "").length)),
    );
    const line = (cells: readonly string[]): string =>
      cells
        .map((c, i) => (t.right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    out.push(line(t.columns), line(widths.map((w) => "-".repeat(w))));
    for (const r of t.rows) out.push(line(r));
    for (const note of t.notes) out.push(`  ${note}`);
  }
  return `${out.join("\n")}\n\n`;
}

export function markdownSection(section: Section): string {
  const out: string[] = [`## ${section.title}`, ""];
  // Several lines read as a list (the machine's facts); one as a paragraph.
  if (section.lines.length > 1) out.push(...section.lines.map((l) => `- ${l}`), "");
  else for (const l of section.lines) out.push(l, "");
  for (const t of section.tables) {
    out.push(`### ${t.title}`, "");
    const escape = (c: string): string => c.replaceAll("|", "\\|");
    out.push(`| ${t.columns.map(escape).join(" | ")} |`);
    out.push(`|${t.columns.map((_, i) => (t.right.has(i) ? " ---: " : " --- ")).join("|")}|`);
    for (const r of t.rows) out.push(`| ${r.map(escape).join(" | ")} |`);
    out.push("");
    for (const note of t.notes) out.push(note, "");
  }
  return out.join("\n");
}
