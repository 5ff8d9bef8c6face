import { describe, expect, it } from "vitest";
import { FIT_STAGE_NUMBERS, runStages, type Stage } from "../../fuzz/stages.js";

/** A model of `features` inputs a sample into one dense unit (features + 1 parameters). */
function program(features: number): string {
  return `model wide {
  input x: [batch, ${features}]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: 0.1)
  train { epochs: 2 }
}
`;
}

async function stagesOf(text: string): Promise<{ stages: Stage[]; reached: string }> {
  const stages: Stage[] = [];
  const outcome = await runStages(text, (stage) => stages.push(stage));
  expect(outcome.failure).toBeNull();
  return { stages, reached: outcome.reached };
}

describe("the fuzzer's fit stage", () => {
  it("fits a model of up to FIT_STAGE_NUMBERS numbers (inputs of a sample plus parameters)", async () => {
    const features = Math.floor((FIT_STAGE_NUMBERS - 1) / 2);
    const { stages, reached } = await stagesOf(program(features));
    expect(reached).toBe("trained");
    expect(stages).toContain("fit");
  });

  it("gives a larger model its one training step only, so honest work never reads as a hang", async () => {
    const features = Math.ceil(FIT_STAGE_NUMBERS / 2);
    const { stages, reached } = await stagesOf(program(features));
    expect(reached).toBe("trained");
    expect(stages).toContain("train");
    expect(stages).not.toContain("fit");
  });
});
