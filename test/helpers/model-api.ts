/**
 * Drives a generated model class whichever way the runtime offers it: `await Model.create(...)`
 * where it exists (the asynchronous API of issue 9), else `new Model(...)`; every call is
 * awaited, which is harmless on the synchronous methods. For tests that load emitted JavaScript
 * (untyped) and must not depend on which API the runtime is at.
 */

/** What the tests use of a generated model. */
export interface LoadedModel {
  fit(data: unknown, options?: unknown): unknown;
  predict(x: unknown): unknown;
  dispose?(): unknown;
}

interface ModelClass {
  readonly create?: (options: Record<string, unknown>) => Promise<LoadedModel>;
  new (options: Record<string, unknown>): LoadedModel;
}

/** A model of `cls` made with `options`. */
export async function createModel(
  cls: unknown,
  options: Record<string, unknown> = {},
): Promise<LoadedModel> {
  const model = cls as ModelClass;
  return typeof model.create === "function" ? await model.create(options) : new model(options);
}

/** The XOR truth table as tensors. */
export function xorData(): {
  x: { shape: number[]; data: Float32Array };
  y: { shape: number[]; data: Float32Array };
} {
  return {
    x: { shape: [4, 2], data: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]) },
    y: { shape: [4, 1], data: new Float32Array([0, 1, 1, 0]) },
  };
}

/** Trains `model` on XOR (its own settings) and returns its four predictions. */
export async function trainXor(model: LoadedModel): Promise<number[]> {
  const { x, y } = xorData();
  await model.fit({ train: { x, y }, validation: null });
  const out = (await model.predict(x)) as { data: Float32Array };
  return Array.from(out.data);
}
