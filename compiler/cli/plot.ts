/**
 * Renders a Vega-Lite spec (learning-curves.ts) to the file format its path names, in Node:
 * SVG by Vega's headless View (`toSVG`), PNG by resvg from that SVG (system fonts, DejaVu Sans
 * preferred), HTML as a self-contained interactive page (vega, vega-lite and vega-embed's
 * browser builds inlined from node_modules: it opens offline). The libraries are imported on
 * first use, so that commands that do not plot do not load them. Node-only.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { CliError } from "./io.js";

export type PlotFormat = "svg" | "png" | "html";

const formats: Readonly<Record<string, PlotFormat>> = {
  ".svg": "svg",
  ".png": "png",
  ".html": "html",
  ".htm": "html",
};

/** The format `path`'s extension names; a one-line CliError for any other. */
export function plotFormat(path: string): PlotFormat {
  const format = formats[extname(path).toLowerCase()];
  if (format === undefined) {
    const ext = extname(path) === "" ? "no extension" : `extension ${extname(path)}`;
    throw new CliError(
      `--plot ${path}: ${ext}; the plot is written as .svg, .png or .html (interactive)`,
    );
  }
  return format;
}

/** The plot file's bytes. */
export async function renderPlot(spec: TopLevelSpec, format: PlotFormat): Promise<Uint8Array> {
  switch (format) {
    case "svg":
      return new TextEncoder().encode(await renderSvg(spec));
    case "png":
      return renderPng(await renderSvg(spec));
    case "html":
      return new TextEncoder().encode(renderHtml(spec));
  }
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function renderPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import("@resvg/resvg-js");
  const resvg = new Resvg(svg, {
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
    fitTo: { mode: "zoom", value: 2 },
  });
  return resvg.render().asPng();
}

/** An interactive page: the spec embedded with vega-embed, every library inlined. */
export function renderHtml(spec: TopLevelSpec): string {
  const title =
    typeof spec.title === "object" && spec.title !== null && "text" in spec.title
      ? spec.title.text
      : "plot";
  const scripts = [
    browserBuild("vega", "vega.min.js"),
    browserBuild("vega-lite", "vega-lite.min.js"),
    browserBuild("vega-embed", "vega-embed.min.js"),
  ];
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(String(title))}</title>`,
    ...scripts.map((code) => `<script>${inlineScript(code)}</script>`),
    "</head>",
    "<body>",
    '<div id="plot"></div>',
    `<script>vegaEmbed("#plot", ${inlineScript(JSON.stringify(spec))}, { actions: { export: true, source: false, compiled: false, editor: false } });</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** A library's browser build (`build/FILE`, beside the entry that the package exports). */
function browserBuild(pkg: string, file: string): string {
  const entry = createRequire(import.meta.url).resolve(pkg);
  let dir = dirname(entry);
  // vega's entry is build/vega.module.js, vega-lite's and vega-embed's build/*.js
  if (!dir.endsWith("build")) dir = join(dir, "build");
  try {
    return readFileSync(join(dir, file), "utf8");
  } catch {
    throw new CliError(`cannot find ${pkg}'s ${file} to inline in the HTML plot; reinstall nnc`);
  }
}

/** Script text safe inside <script>: no `</script` can close it (`<\/` means `</` in JS). */
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
