import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvOptions, parseCsv } from "../../../runtime/data/csv.js";
import { readCsv } from "../../../runtime/data/csv-file.js";
import { repoRoot } from "../../helpers/compile.js";
import { dataErrorOf, useTempDir } from "./helpers.js";

const fixtures = join(repoRoot, "..", "shared", "fixtures", "torch", "training");
const encoder = new TextEncoder();

/** Options for a model `input x: [batch, WIDTH]`, `target y: i32[batch]`. */
function idsOptions(width: number, extra: Partial<CsvOptions> = {}): CsvOptions {
  return {
    target: null,
    defaultTarget: ["y"],
    drop: [],
    input: { name: "x", shape: ["batch", width] },
    targetKind: { kind: "ids" },
    ...extra,
  };
}

function valuesOptions(
  width: number,
  targets: number,
  extra: Partial<CsvOptions> = {},
): CsvOptions {
  return { ...idsOptions(width), targetKind: { kind: "values", width: targets }, ...extra };
}

/** Row `r` of a synthetic MNIST CSV: label r % 10, pixel i (i * 7 + r) % 256. */
const mnistLine = (r: number) =>
  [r % 10, ...Array.from({ length: 784 }, (_, i) => (i * 7 + r) % 256)].join(",");

const parse = (text: string, options: CsvOptions, path = "data.csv") =>
  parseCsv(encoder.encode(text), path, options);

/** Reference reading of a simple CSV: split on commas, Number, fround. */
function naive(text: string): number[][] {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map((cell) => Math.fround(Number(cell))));
}

describe("readCsv on the PyTorch fixtures", () => {
  it("reads the classifier's data: 4 features, class ids", () => {
    const path = join(fixtures, "mlp_classifier_adam", "data.csv");
    const data = readCsv({ path, displayPath: "data.csv" }, idsOptions(4, { target: ["y"] }));
    expect(data.x.shape).toEqual([60, 4]);
    expect(data.y.shape).toEqual([60]);
    expect(data.columns).toEqual({ features: ["x0", "x1", "x2", "x3"], targets: ["y"] });
    const rows = naive(readFileSync(path, "utf8"));
    expect(Array.from(data.x.data)).toEqual(rows.flatMap((r) => r.slice(0, 4)));
    expect(Array.from(data.y.data)).toEqual(rows.map((r) => r[4]));
    expect(new Set(data.y.data)).toEqual(new Set([0, 1, 2]));
  });

  it("reads the regression's data: 5 features, one float target", () => {
    const path = join(fixtures, "regression_sgd_momentum", "data.csv");
    const data = readCsv({ path, displayPath: "data.csv" }, valuesOptions(5, 1));
    expect(data.x.shape).toEqual([100, 5]);
    expect(data.y.shape).toEqual([100, 1]);
    const rows = naive(readFileSync(path, "utf8"));
    expect(Array.from(data.x.data)).toEqual(rows.flatMap((r) => r.slice(0, 5)));
    expect(Array.from(data.y.data)).toEqual(rows.map((r) => r[5]));
  });
});

describe("the CSV dialect", () => {
  it("handles CRLF, a byte order mark, no final newline, blank lines and spaces", () => {
    const text = "\uFEFFa, b ,y\r\n1, 2 ,0\r\n\r\n  \n 3 ,\t4\t, 1 \r\n5,6,2";
    const data = parse(text, idsOptions(2));
    expect(data.columns.features).toEqual(["a", "b"]);
    expect(Array.from(data.x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(data.y.data)).toEqual([0, 1, 2]);
    expect(data.x.data.length).toBe(6);
  });

  it("handles the lone CR line ends of old Mac Excel, growing past its row estimate", () => {
    const text = "a,y\r1,0\r\r2,1\r3,0\r4,1";
    const data = parse(text, idsOptions(1));
    expect(Array.from(data.x.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(data.y.data)).toEqual([0, 1, 0, 1]);
    expect(dataErrorOf(() => parse("a,y\r1,0\r\rx,1\r", idsOptions(1)))).toEqual({
      code: "E504",
      message: 'data.csv:4: column a: "x" is not a number',
    });
  });

  it("reads every cell as Math.fround(Number(text))", () => {
    const digits = fc.string({
      unit: fc.constantFrom(..."0123456789"),
      minLength: 1,
      maxLength: 20,
    });
    const cell = fc
      .tuple(
        fc.constantFrom("", "-", "+", " "),
        digits,
        fc.option(digits),
        fc.option(fc.integer({ min: -60, max: 38 })),
        fc.constantFrom("", " ", '"'),
      )
      .map(([sign, int, frac, exp, wrap]) => {
        const text = `${sign}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : `e${exp}`}`;
        return { text, cell: wrap === '"' ? `"${text}"` : `${text}${wrap}` };
      })
      .filter(({ text }) => Number.isFinite(Math.fround(Number(text))));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 20 }),
        fc.constantFrom("\n", "\r\n"),
        (rows, eol) => {
          const text = `a,b,y${eol}${rows.map(([a, b]) => `${a.cell},${b.cell},0`).join(eol)}${eol}`;
          const data = parse(text, idsOptions(2));
          expect(Array.from(data.x.data)).toEqual(
            rows.flatMap(([a, b]) => [a.text, b.text].map((t) => Math.fround(Number(t)))),
          );
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it("handles quoted cells: commas, doubled quotes, newlines, quoted numbers", () => {
    const text = [
      'name,"a",b,"y"',
      '"Smith, ""Bob""",1,"2.5",0',
      '"two',
      'lines",3, "4" ,1',
      "plain,5,6,1",
      "",
    ].join("\n");
    const data = parse(text, idsOptions(2, { drop: ["name"] }));
    expect(Array.from(data.x.data)).toEqual([1, 2.5, 3, 4, 5, 6]);
    expect(Array.from(data.y.data)).toEqual([0, 1, 1]);
  });

  it("counts lines through quoted newlines and blank lines in messages", () => {
    const text = 'note,a,y\n"x\ny",1,0\n\n-,2,0\n';
    const data = parse(text, idsOptions(1, { drop: ["note"] }));
    expect(Array.from(data.x.data)).toEqual([1, 2]);
    expect(
      dataErrorOf(() =>
        parse('note,a,y\n"x\ny",1,0\n\n-,oops,0\n', idsOptions(1, { drop: ["note"] })),
      ),
    ).toEqual({ code: "E504", message: 'data.csv:5: column a: "oops" is not a number' });
  });

  it("keeps features in file order and targets in the order asked for", () => {
    const text = "t2,f1,t1,f2,skip\n1,2,3,4,x\n5,6,7,8,y\n";
    const data = parse(text, valuesOptions(2, 2, { target: ["t1", "t2"], drop: ["skip"] }));
    expect(data.columns).toEqual({ features: ["f1", "f2"], targets: ["t1", "t2"] });
    expect(Array.from(data.x.data)).toEqual([2, 4, 6, 8]);
    expect(data.y.shape).toEqual([2, 2]);
    expect(Array.from(data.y.data)).toEqual([3, 1, 7, 5]);
  });

  it("shapes x as the input's dimensions after the batch", () => {
    const text = "a,b,c,d,y\n1,2,3,4,0\n";
    expect(
      parse(text, { ...idsOptions(4), input: { name: "x", shape: ["batch", 2, 2] } }).x.shape,
    ).toEqual([1, 2, 2]);
    expect(
      parse(text, { ...idsOptions(4), input: { name: "x", shape: ["batch", "n"] } }).x.shape,
    ).toEqual([1, 4]);
  });

  it("accepts whole numbers written as floats as class ids", () => {
    const data = parse("a,y\n1,2.0\n1,1e0\n", idsOptions(1));
    expect(Array.from(data.y.data)).toEqual([2, 1]);
  });
});

describe("CSV errors", () => {
  const diabetes =
    "age,bmi,y\n" +
    Array.from({ length: 14 }, (_, i) => `${30 + i},22.5,1`).join("\n") +
    "\n51,n/a,0\n";

  it("names the file, the line and the column of a bad cell", () => {
    expect(dataErrorOf(() => parse(diabetes, valuesOptions(2, 1), "data/diabetes.csv"))).toEqual({
      code: "E504",
      message: 'data/diabetes.csv:16: column bmi: "n/a" is not a number',
    });
    expect(dataErrorOf(() => parse("a,b,y\n1,,0\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: "data.csv:2: column b: empty cell, a number is needed",
    });
    expect(dataErrorOf(() => parse('a,b,y\n1,"1,2",0\n', idsOptions(2)))).toEqual({
      code: "E504",
      message: 'data.csv:2: column b: "1,2" is not a number',
    });
    expect(dataErrorOf(() => parse("a,b,y\n1,0x10,0\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: 'data.csv:2: column b: "0x10" is not a number',
    });
    expect(dataErrorOf(() => parse("a,b,y\n1,1e39,0\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: 'data.csv:2: column b: "1e39" is too large for float32',
    });
  });

  it("does not parse dropped columns", () => {
    expect(parse("a,b,y\n1,n/a,0\n", idsOptions(1, { drop: ["b"] })).x.data[0]).toBe(1);
  });

  it("rejects class ids that are not whole numbers 0, 1, 2, ...", () => {
    expect(dataErrorOf(() => parse("a,y\n1,2.5\n", idsOptions(1)))).toEqual({
      code: "E504",
      message: 'data.csv:2: column y: "2.5" is not a class id (0, 1, 2, ...)',
    });
    expect(dataErrorOf(() => parse("a,y\n1,0\n1,-1\n", idsOptions(1)))).toEqual({
      code: "E504",
      message: 'data.csv:3: column y: "-1" is not a class id (0, 1, 2, ...)',
    });
    expect(
      dataErrorOf(() =>
        parse("a,y\n1,10\n", idsOptions(1, { targetKind: { kind: "ids", classes: 10 } })),
      ),
    ).toEqual({
      code: "E502",
      message: "data.csv:2: column y: class id 10 is out of range: the model has 10 classes (0..9)",
    });
  });

  it("reads token-id features as whole numbers below the embedding's vocabulary", () => {
    const tokens = idsOptions(3, { inputIds: { count: 50 } });
    expect([...parse("a,b,c,y\n0,49,7,1\n3, 3 ,3,0\n", tokens).x.data]).toEqual([
      0, 49, 7, 3, 3, 3,
    ]);
    expect(dataErrorOf(() => parse("a,b,c,y\n0,1,2.5,1\n", tokens))).toEqual({
      code: "E504",
      message: 'data.csv:2: column c: "2.5" is not a token id (0, 1, 2, ...)',
    });
    expect(dataErrorOf(() => parse("a,b,c,y\n0,1,2,1\n-1,0,0,0\n", tokens))).toEqual({
      code: "E504",
      message: 'data.csv:3: column a: "-1" is not a token id (0, 1, 2, ...)',
    });
    expect(dataErrorOf(() => parse("a,b,c,y\n0,50,2,1\n", tokens))).toEqual({
      code: "E502",
      message:
        "data.csv:2: column b: token id 50 is out of range: the embedding has a vocabulary of 50 (0..49)",
    });
  });

  it("rejects targets outside the loss's domain (binary cross-entropy: [0, 1]) at their cell", () => {
    const bce = valuesOptions(1, 1, {
      targetKind: {
        kind: "values",
        width: 1,
        range: { loss: "binary_cross_entropy", min: 0, max: 1 },
      },
    });
    expect(parse("a,y\n1,0\n2,1\n3,0.25\n", bce).y.data).toEqual(Float32Array.from([0, 1, 0.25]));
    for (const [cell, line] of [
      ["1.5", 3],
      ["-0.5", 3],
      ["2", 3],
    ] as const) {
      expect(dataErrorOf(() => parse(`a,y\n1,1\n2,${cell}\n`, bce))).toEqual({
        code: "E502",
        message: `data.csv:${line}: column y: target "${cell}" is outside [0, 1], the values binary_cross_entropy takes (a probability; 0 or 1 for two classes)`,
      });
    }
  });

  it("matches feature columns to trained names in any order, naming missing and extra ones", () => {
    const trained = valuesOptions(3, 1, { features: ["a", "b", "c"] });
    const csv = parse("c,y,a,b\n3,0,1,2\n6,1,4,5\n", trained);
    expect([...csv.x.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(csv.columns.features).toEqual(["a", "b", "c"]);
    expect(dataErrorOf(() => parse("a,b,d,y\n1,2,3,0\n", trained))).toEqual({
      code: "E502",
      message:
        "data.csv lacks column c the model was trained on and has column d the model was not trained on; columns are matched by their header names (the model's features: a, b, c)",
    });
  });

  it("rejects rows with the wrong number of cells", () => {
    expect(dataErrorOf(() => parse("a,b,y\n1,2,0\n1,2\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: "data.csv:3: 2 cells, but the header has 3 columns",
    });
    expect(dataErrorOf(() => parse("a,b,y\n1,2,0,4\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: "data.csv:2: 4 cells, but the header has 3 columns",
    });
    expect(dataErrorOf(() => parse("a,b,y\n7\n", idsOptions(2)))).toEqual({
      code: "E504",
      message: "data.csv:2: 1 cell, but the header has 3 columns",
    });
  });

  it("names missing target and drop columns, with the columns and a suggestion", () => {
    expect(
      dataErrorOf(() => parse("x0,x1,label\n1,2,0\n", idsOptions(2, { target: ["lable"] }))),
    ).toEqual({
      code: "E504",
      message: "data.csv: no column `lable`; did you mean `label`? The columns are: x0, x1, label",
    });
    expect(dataErrorOf(() => parse("x0,x1,label\n1,2,0\n", idsOptions(2)))).toEqual({
      code: "E504",
      message:
        'data.csv: no column `y` (the target column defaults to the name of the model\'s target; choose one with target: "COLUMN"); the columns are: x0, x1, label',
    });
    expect(
      dataErrorOf(() => parse("x0,x1,name,y\n1,2,a,0\n", idsOptions(2, { drop: ["nmae"] }))),
    ).toEqual({
      code: "E504",
      message:
        "data.csv: drop: no column `nmae`; did you mean `name`? The columns are: x0, x1, name, y",
    });
    expect(dataErrorOf(() => parse("a,y\n1,0\n", idsOptions(0, { drop: ["y"] })))).toEqual({
      code: "E504",
      message: "data.csv: column `y` is both a target and in drop",
    });
  });

  it("shortens long column lists", () => {
    const header = [...Array.from({ length: 784 }, (_, i) => `pixel${i}`), "label"].join(",");
    expect(dataErrorOf(() => parse(`${header}\n`, idsOptions(784)))).toEqual({
      code: "E504",
      message:
        'data.csv: no column `y` (the target column defaults to the name of the model\'s target; choose one with target: "COLUMN"); the columns are: pixel0, pixel1, pixel2, pixel3, pixel4, pixel5, pixel6, pixel7, pixel8, pixel9, ..., label (785 columns)',
    });
  });

  it("checks the feature count against the input", () => {
    const header = "a,b,c,d,e,f,g,h,i,y";
    expect(
      dataErrorOf(() =>
        parse(`${header}\n${"1,".repeat(9)}0\n`, idsOptions(10), "data/diabetes.csv"),
      ),
    ).toEqual({
      code: "E502",
      message:
        "data/diabetes.csv has 9 feature columns (a, b, c, d, e, f, g, h, i) but input x is [batch, 10]; every column that is not a target or in drop is a feature",
    });
    expect(
      dataErrorOf(() =>
        parse("a,y\n1,0\n", { ...idsOptions(1), input: { name: "img", shape: ["batch", 2, 2] } }),
      ),
    ).toEqual({
      code: "E502",
      message:
        "data.csv has 1 feature column (a) but input img is [batch, 2, 2]; every column that is not a target or in drop is a feature",
    });
  });

  it("checks the target column count against the target", () => {
    expect(
      dataErrorOf(() => parse("a,b,y\n1,2,0\n", idsOptions(1, { target: ["b", "y"] }))),
    ).toEqual({
      code: "E502",
      message:
        "data.csv: 2 target columns (b, y) for a target of class ids, which takes exactly one column",
    });
    expect(
      dataErrorOf(() => parse("a,b,y\n1,2,0\n", valuesOptions(1, 1, { target: ["b", "y"] }))),
    ).toEqual({
      code: "E502",
      message: "data.csv: 2 target columns (b, y) but the model's target takes 1 value per row",
    });
  });

  it("rejects empty files, header-only files and broken headers", () => {
    expect(dataErrorOf(() => parse("", idsOptions(1)))).toEqual({
      code: "E504",
      message: "data.csv: the file is empty; a CSV needs a header row, then data rows",
    });
    expect(dataErrorOf(() => parse(" \n\r\n", idsOptions(1)))).toEqual({
      code: "E504",
      message: "data.csv: the file is empty; a CSV needs a header row, then data rows",
    });
    expect(dataErrorOf(() => parse("a,y\n\n", idsOptions(1)))).toEqual({
      code: "E504",
      message: "data.csv: no data rows after the header",
    });
    expect(dataErrorOf(() => parse("a,a,y\n1,2,0\n", idsOptions(2)))).toEqual({
      code: "E504",
      message:
        "data.csv: column `a` appears twice in the header (columns 1 and 2); give every column its own name",
    });
  });

  it("rejects broken quoting", () => {
    expect(dataErrorOf(() => parse('a,y\n"1,0\n', idsOptions(1)))).toEqual({
      code: "E504",
      message: 'data.csv:2: a quoted cell is not closed (a " is missing)',
    });
    expect(dataErrorOf(() => parse('a,y\n"1"2,0\n', idsOptions(1)))).toEqual({
      code: "E504",
      message:
        'data.csv:2: unexpected text after a closing quote (write "" for a quote inside a quoted cell)',
    });
  });
});

describe("CSV files", () => {
  const tempDir = useTempDir();

  it("turns file-system errors into E503 with the path as written", () => {
    const dir = tempDir();
    expect(
      dataErrorOf(() =>
        readCsv({ path: join(dir, "nope.csv"), displayPath: "data/nope.csv" }, idsOptions(1)),
      ),
    ).toEqual({ code: "E503", message: "cannot read data/nope.csv: no such file or directory" });
    mkdirSync(join(dir, "data.csv"));
    expect(
      dataErrorOf(() =>
        readCsv({ path: join(dir, "data.csv"), displayPath: "data.csv" }, idsOptions(1)),
      ),
    ).toEqual({ code: "E503", message: "cannot read data.csv: it is a directory, not a file" });
  });

  it("reads an MNIST-shaped CSV quickly", () => {
    const rows = 10_000;
    const header = ["label", ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(",");
    const path = join(tempDir(), "mnist.csv");
    writeFileSync(
      path,
      `${header}\n${Array.from({ length: rows }, (_, r) => mnistLine(r)).join("\n")}\n`,
    );
    const start = performance.now();
    const data = readCsv(
      { path, displayPath: "mnist.csv" },
      idsOptions(784, { target: ["label"] }),
    );
    const ms = performance.now() - start;
    expect(data.x.shape).toEqual([rows, 784]);
    expect(data.x.data[784 * 9999 + 783]).toBe((783 * 7 + 9999) % 256);
    expect(data.y.data[9999]).toBe(9);
    // About 0.1 s here; the bound only catches a per-cell allocation creeping back in.
    expect(ms).toBeLessThan(3000);
  });
});
