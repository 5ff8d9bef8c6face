/**
 * Drives a generated model class loaded from emitted JavaScript (untyped, so described here by
 * what the tests use of the model API): `await Model.create(options)`, then `fit` and `predict`.
 */

/** What the tests use of a generated model. */
export interface LoadedModel {
  fit(data: unknown, options?: unknown): Promise<unknown>;
  predict(x: unknown): Promise<{ readonly data: Float32Array }>;
  dispose(): void;
}

interface ModelClass {
  create(options: Record<string, unknown>): Promise<LoadedModel>;
}

/** A model of `cls` (a generated class) made with `options`. */
export function createModel(
  cls: unknown,
  options: Record<string, unknown> = {},
): Promise<LoadedModel> {
  return (cls as ModelClass).create(options);
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
  await model.fit({ train: { x, y } });
  return Array.from((await model.predict(x)).data);
}
