// The bad inputs of test/cli/hostile-inputs.test.ts, by class: each command line (run in the
// workspace that test makes) and the exit status and message it must give.

export interface Case {
  readonly args: readonly string[];
  /** Exit status (1 unless said). */
  readonly code?: number;
  /** What stderr must match (and, for a `nnc:` error, be on one line). */
  readonly stderr?: RegExp;
  readonly stdout?: RegExp;
}

const js = ["--backend", "js"];
export const train = (...args: string[]) => ["train", ...args, ...js, "--epochs", "1", "--quiet"];
export const predict = (load: string, data: string, ...args: string[]) => [
  "predict",
  "m.nn",
  "--load",
  load,
  "--data",
  data,
  ...js,
  ...args,
];

export const cases: Readonly<Record<string, Case>> = {
  // odd commands, flags and values
  "a command named like Object's toString": {
    args: ["toString"],
    stderr: /unknown command 'toString'/,
  },
  "a command named __proto__": {
    args: ["__proto__", "m.nn"],
    stderr: /unknown command '__proto__'/,
  },
  "--epochs -1": {
    args: ["train", "m.nn", "--epochs", "-1"],
    stderr: /--epochs takes a value; write --epochs=VALUE/,
  },
  "--epochs=-1": {
    args: ["train", "m.nn", "--epochs=-1"],
    stderr: /--epochs expects a whole number of at least 1, got '-1'/,
  },
  "--batch-size 0": {
    args: ["train", "m.nn", "--batch-size", "0"],
    stderr: /--batch-size expects a whole number of at least 1/,
  },
  "--epochs 1e3": {
    args: ["train", "m.nn", "--epochs", "1e3"],
    stderr: /--epochs expects a whole number/,
  },
  "--seed past 2^53": {
    args: ["train", "m.nn", "--seed", "99999999999999999999"],
    stderr: /--seed expects a whole number/,
  },
  "--lr nan (no such flag)": {
    args: ["train", "m.nn", "--lr", "nan"],
    stderr: /Unknown option '--lr'; usage: nnc train/,
  },
  "--threads 100000": { args: ["train", "m.nn", "--threads", "100000"], stderr: /at most 256/ },
  "--backend tpu": { args: ["train", "m.nn", "--backend", "tpu"], stderr: /unknown backend 'tpu'/ },
  "no file": { args: ["train"], stderr: /train: no file given; usage/ },
  "two files": { args: ["predict", "m.nn", "m.nn"], stderr: /give one file/ },
  "one file twice to train": {
    args: ["train", "m.nn", "./m.nn"],
    stderr: /^nnc: \.\/m\.nn is m\.nn again; give each file once\n$/,
  },
  "a missing source": {
    args: ["train", "missing.nn"],
    stderr: /cannot read missing\.nn: no such file or directory/,
  },
  "a folder as source": {
    args: ["check", "m.nn", "folder"],
    stdout: /m\.nn: ok/,
    stderr: /cannot read folder: it is a directory/,
  },
  "predict without --load": {
    args: ["predict", "m.nn"],
    stderr: /predict needs --load CKPT and --data PATH/,
  },
  "--emit wasm": {
    args: ["build", "m.nn", "--emit", "wasm"],
    stderr: /--emit takes ts, js, bundle, pytorch, not 'wasm'/,
  },
  "--dump nothing": {
    args: ["build", "m.nn", "--dump", "nothing"],
    stderr: /--dump takes ir, grad, fused/,
  },
  "an unknown model": {
    args: ["summary", "m.nn", "--model", "Nope"],
    stderr: /has no model named Nope/,
  },
  "an escape sequence in --model": {
    args: ["summary", "m.nn", "--model", "a\x1b[31m"],
    stderr: /named a\\x1b\[31m/,
  },
  "an empty --save": {
    args: ["train", "m.nn", "--save", ""],
    stderr: /^nnc: train: --save is empty; give it a value\n$/,
  },
  "an empty -o": {
    args: ["build", "m.nn", "-o", ""],
    stderr: /^nnc: build: --out is empty; give it a value\n$/,
  },
  "an empty file name": { args: ["check", ""], stderr: /^nnc: check: a file name is empty/ },
  // outputs
  "build -o a file": { args: ["build", "m.nn", "-o", "m.nn"], stderr: /-o m\.nn is a file/ },
  "build -o under /proc": {
    args: ["build", "m.nn", "-o", "/proc/nnc-nope"],
    stderr: /cannot write -o \/proc\/nnc-nope\/m\.ts/,
  },
  "build -o under a file": {
    args: ["build", "m.nn", "-o", "blocker/sub"],
    stderr: /cannot write -o blocker\/sub\/m\.ts: cannot create its folder/,
  },
  "build --emit pytorch -o a file": {
    args: ["build", "m.nn", "--emit", "pytorch", "-o", "m.nn"],
    stderr:
      /^nnc: -o m\.nn is a file; with --emit pytorch, -o names the folder to write model\.py and train\.py in\n$/,
  },
  "build --emit pytorch -o under /proc": {
    args: ["build", "m.nn", "--emit", "pytorch", "-o", "/proc/nnc-nope"],
    stderr: /^nnc: cannot write -o \/proc\/nnc-nope\/model\.py: /,
  },
  "build --emit pytorch -o under a file": {
    args: ["build", "m.nn", "--emit", "pytorch", "-o", "blocker/sub"],
    stderr: /^nnc: cannot write -o blocker\/sub\/model\.py: cannot create its folder/,
  },
  "build --emit pytorch -o new folders": {
    args: ["build", "m.nn", "--emit", "pytorch", "-o", "new/py"],
    code: 0,
    stdout: /^wrote new\/py\/model\.py and new\/py\/train\.py \(\w+\)\n$/,
  },
  "build -o new folders": {
    args: ["build", "m.nn", "--emit", "js", "-o", "new/deeper"],
    code: 0,
    stdout: /wrote new\/deeper\/m\.js and new\/deeper\/m\.d\.ts/,
  },
  "--save a folder": {
    args: train("m.nn", "--save", "folder"),
    stderr: /cannot write --save folder: it is a directory/,
  },
  "--history under /proc": {
    args: train("m.nn", "--history", "/proc/h.json"),
    stderr: /cannot write --history \/proc\/h\.json/,
  },
  "--plot under a file": {
    args: train("m.nn", "--plot", "m.nn/p.svg"),
    stderr: /cannot write --plot m\.nn\/p\.svg: .*not a directory/,
  },
  "predict -o a folder": {
    args: predict("w.safetensors", "d.csv", "-o", "folder"),
    stderr: /cannot write -o folder: it is a directory/,
  },
  "--save over the source": {
    args: train("m.nn", "--save", "./m.nn"),
    stderr: /--save \.\/m\.nn would overwrite the source m\.nn/,
  },
  "--save over the data section's CSV": {
    args: train("m.nn", "--save", "d.csv"),
    stderr: /--save d\.csv would overwrite the data d\.csv/,
  },
  "--history and --plot to one file": {
    args: train("m.nn", "--history", "h.out", "--plot", "h.out"),
    stderr: /--history and --plot both name h\.out; each output needs its own file/,
  },
  "predict -o over its --data": {
    args: predict("w.safetensors", "d.csv", "-o", "d.csv"),
    stderr: /-o d\.csv would overwrite --data d\.csv/,
  },
  "--save over a named pipe": {
    args: train("m.nn", "--save", "pipe"),
    stderr: /cannot write --save pipe: it is a device or pipe, not a file/,
  },
  "a device as source (read until memory ran out)": {
    args: ["check", "/dev/zero"],
    stderr: /^nnc: cannot read \/dev\/zero: it is a device, not a file\n$/,
  },
  "a device as data": {
    args: train("m.nn", "--data", "/dev/zero"),
    stderr: /E503.*cannot read \/dev\/zero: it is a device, not a file/,
  },
  "a device as checkpoint": {
    args: predict("/dev/urandom", "d.csv"),
    stderr: /cannot read \/dev\/urandom: it is a device, not a file/,
  },
  // data that does not fit
  "an empty CSV": {
    args: train("m.nn", "--data", "empty.csv"),
    stderr: /E504.*empty\.csv: the file is empty/,
  },
  "a header only": {
    args: train("m.nn", "--data", "header-only.csv"),
    stderr: /no data rows after the header/,
  },
  "a short row": {
    args: train("m.nn", "--data", "short-row.csv"),
    stderr: /short-row\.csv:3: 2 cells, but the header has 3 columns/,
  },
  "a long row": {
    args: train("m.nn", "--data", "long-row.csv"),
    stderr: /long-row\.csv:3: 4 cells/,
  },
  "text in a numeric column": {
    args: train("m.nn", "--data", "text.csv"),
    stderr: /text\.csv:2: column x2: "abc" is not a number/,
  },
  "a value past float32": {
    args: train("m.nn", "--data", "huge.csv"),
    stderr: /"1e39" is too large for float32/,
  },
  "a NaN cell": {
    args: train("m.nn", "--data", "nan.csv"),
    stderr: /nan\.csv:2: column x2: "NaN" is not a number/,
  },
  "a BCE target of 2": {
    args: train("m.nn", "--data", "bce.csv"),
    stderr: /E502.*bce\.csv:3: column y: target "2" is outside \[0, 1\]/,
  },
  "a class id 1.5": {
    args: train("ids.nn", "--data", "c-float.csv"),
    stderr: /c-float\.csv:2: column c: "1\.5" is not a class id/,
  },
  "a class id out of range": {
    args: train("ids.nn", "--data", "c-range.csv"),
    stderr: /class id 3 is out of range: the model has 3 classes/,
  },
  "a header naming a column twice": {
    args: train("m.nn", "--data", "dup.csv"),
    stderr: /column `x1` appears twice/,
  },
  "an unclosed quote": {
    args: train("m.nn", "--data", "quote.csv"),
    stderr: /quote\.csv:1: a quoted cell is not closed/,
  },
  "a binary file as CSV": {
    args: train("m.nn", "--data", "binary.csv"),
    stderr: /binary\.csv: holds NUL bytes, so it is a binary file/,
  },
  "a missing CSV": {
    args: train("m.nn", "--data", "nope.csv"),
    stderr: /E503.*cannot read nope\.csv: no such file/,
  },
  "a target named toString": {
    args: train("m.nn", "--target", "toString"),
    stderr: /no column `toString`/,
  },
  "columns named constructor and __proto__": {
    args: train("proto.nn"),
    code: 0,
    stdout: /^epoch 1\/1 {2}loss \d/,
  },
  // predict
  "predict on a header only": {
    args: predict("w.safetensors", "header-only.csv"),
    stderr: /no data rows after the header/,
  },
  "predict without a trained column": {
    args: predict("w.safetensors", "missing-column.csv"),
    stderr: /lacks column x2 the model was trained on/,
  },
  "predict on IDX images that do not fit the input": {
    args: predict("w.safetensors", "idx"),
    stderr:
      /error\[E502\]: idx: the images are 28 x 28 \(784 values each\) but input x is \[batch, 2\]/,
  },
  // checkpoints
  "a truncated checkpoint": {
    args: predict("truncated.safetensors", "d.csv"),
    stderr: /is the file truncated\?/,
  },
  "bytes appended to a checkpoint": {
    args: predict("appended.safetensors", "d.csv"),
    stderr: /2 bytes follow tensor .* the file is damaged or was appended to/,
  },
  "a NaN weight": {
    args: predict("nan.safetensors", "d.csv"),
    stderr: /is NaN; a checkpoint holds finite numbers/,
  },
  "a zero scale": {
    args: predict("zero-scale.safetensors", "d.csv"),
    stderr: /metadata nnc\.normalize has scale 0 for feature 0/,
  },
  "features that are not a list": {
    args: predict("features.safetensors", "d.csv"),
    stderr: /metadata nnc\.features is not an array of strings/,
  },
  "random bytes as a checkpoint": {
    args: predict("random.safetensors", "d.csv"),
    stderr: /not a safetensors file/,
  },
  "an empty checkpoint": {
    args: predict("empty.safetensors", "d.csv"),
    stderr: /it has only 0 bytes/,
  },
  "a header length past the file": {
    args: predict("huge-header.safetensors", "d.csv"),
    stderr: /header should be 1099511627776 bytes but only 2 follow/,
  },
  "a folder as checkpoint": {
    args: predict("folder", "d.csv"),
    stderr: /cannot read folder: it is a directory/,
  },
  "a state_dict to --resume": {
    args: train("m.nn", "--resume", "w.safetensors"),
    stderr: /w\.safetensors is a state_dict \(weights only\), not a training checkpoint/,
  },
  "a truncated checkpoint to --resume": {
    args: train("m.nn", "--resume", "truncated.safetensors"),
    stderr: /is the file truncated\?/,
  },
  "random bytes to --resume": {
    args: train("m.nn", "--resume", "random.safetensors"),
    stderr: /not a safetensors file/,
  },
  "an empty file to --resume": {
    args: train("m.nn", "--resume", "empty.safetensors"),
    stderr: /it has only 0 bytes/,
  },
  "a folder to --resume": {
    args: train("m.nn", "--resume", "folder"),
    stderr: /cannot read folder: it is a directory/,
  },
  "--resume with --init": {
    args: train("m.nn", "--resume", "w.safetensors", "--init", "w.safetensors"),
    stderr:
      /--resume continues a run .* and --init starts a new run from weights: give one of them/,
  },
  "a file as --checkpoint-dir": {
    args: train("m.nn", "--checkpoint-dir", "d.csv"),
    stderr: /cannot create the checkpoint folder d\.csv: /,
  },
  "another model's checkpoint": {
    args: train("ids.nn", "--init", "w.safetensors"),
    stderr: /w\.safetensors does not fit the model \(\d problems\): .*; /,
  },
  // sources
  "escape sequences in a source": {
    args: ["check", "ctrl.nn"],
    stderr: /error\[E104\]: unexpected character `\\x1b`/,
  },
  "NUL bytes in a source": { args: ["check", "nul.nn"], stderr: /unexpected character `\\x00`/ },
  "a 5000-term expression": {
    args: ["check", "long.nn"],
    stderr: /error\[E112\]: expression too long/,
  },
  "3000 nested brackets": {
    args: ["check", "deep.nn"],
    stderr: /error\[E111\]: nested too deeply/,
  },
  "10^10 parameters": {
    args: ["check", "huge.nn"],
    stderr:
      /error\[E218\]: model Tiny cannot fit in memory: layer dense_2 needs 40,000,400,000 bytes/,
  },
  "an infinite learning rate": {
    args: ["check", "inf-lr.nn"],
    stderr: /error\[E110\]: invalid number `1e400`: past the largest number there is/,
  },
  "a million repeats": {
    args: ["check", "repeat.nn"],
    stderr: /error\[E213\]: repeat count must be a positive integer at most 10,000/,
  },
  "an empty source trains nothing": {
    args: train("empty.nn"),
    stderr: /empty\.nn declares no model/,
  },
  "a model named constructor, input __proto__": {
    args: ["build", "proto.nn", "-o", "out"],
    code: 0,
    stdout: /wrote out\/proto\.ts \(constructor\)/,
  },
  "a newline and */ in the file name": {
    args: ["build", "a\n*/b.nn", "-o", "out"],
    code: 0,
    stdout: /wrote out\/b\.ts/,
  },
};
