import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNumberBytes, parseNumberText } from "../../../runtime/data/numbers.js";

const encoder = new TextEncoder();
const parse = (text: string): number => {
  const bytes = encoder.encode(`#${text}#`);
  return parseNumberBytes(bytes, 1, bytes.length - 1);
};

describe("parseNumberBytes", () => {
  it("reads the forms CSV writers produce, exactly as Number does", () => {
    for (const text of [
      "0",
      "-0",
      "+1",
      "42",
      "-0.0822859854",
      "1.",
      ".5",
      "1e3",
      "1E-3",
      "-2.5e+10",
      "  7 ",
      "\t3.25\t",
      "00012",
      "0.000000000000000000000000001",
      "123456789012345678901234",
      "1.7976931348623157e308",
      "4.9e-324",
      "1e400",
      "-1e400",
    ]) {
      // toEqual compares numbers with Object.is (-0 is not 0); the text names a failure.
      expect([text, parse(text)]).toEqual([text, Number(text)]);
    }
  });

  it("rejects what Number accepts but a data file should not hold", () => {
    for (const text of [
      "",
      "   ",
      "abc",
      "n/a",
      "NaN",
      "Infinity",
      "-Infinity",
      "0x10",
      "0b1",
      "1,2",
      "1.2.3",
      "1e",
      "1e+",
      ".",
      "-",
      "+",
      "--1",
      "1 2",
      "1_000",
      "e5",
      "1d",
    ]) {
      expect([text, parse(text), parseNumberText(text)]).toEqual([text, NaN, NaN]);
    }
  });

  it("equals Number on random decimal text (fast path and fallback)", () => {
    const digits = fc.string({
      unit: fc.constantFrom(..."0123456789"),
      minLength: 1,
      maxLength: 25,
    });
    const text = fc
      .tuple(
        fc.constantFrom("", "-", "+"),
        digits,
        fc.option(digits),
        fc.option(fc.integer({ min: -350, max: 350 })),
      )
      .map(
        ([sign, int, frac, exp]) =>
          `${sign}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : `e${exp}`}`,
      );
    fc.assert(
      fc.property(text, (t) => {
        expect(Object.is(parse(t), Number(t))).toBe(true);
        expect(Object.is(parseNumberText(t), Number(t))).toBe(true);
      }),
      { seed: 2022, numRuns: 2000 },
    );
  });

  it("round-trips every float32 printed by JavaScript", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        // String(-0) is "0": compare with ===, for which -0 and 0 are equal.
        expect(Math.fround(parse(String(v))) === Math.fround(v)).toBe(true);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
