/**
 * The web demo's page: trains examples/mnist.nn (an `nnc build --emit bundle` module) on WebGPU
 * when the browser has it (else on the cpu backend), charts the training loss and held-out
 * accuracy with Vega-Lite as it goes, predicts the digit drawn on the pad, and saves/loads the
 * weights as safetensors. Plain JavaScript, no build step; `window.nncDemo.state` exposes what
 * the page shows, for tests.
 *
 * Training runs in chunks of CHUNK_STEPS batches (one `fit` of one epoch over the chunk's rows,
 * in an order shuffled per epoch here), and the page yields to the browser between chunks, so
 * the chart and the Stop button stay live whichever backend runs and however `fit` reads.
 */
import { MnistMLP } from "./model/mnist.js";
import { SIDE, argmax, padToInput } from "./digits.js";

const PIXELS = SIDE * SIDE;
const HELD_OUT = 2000;
const BATCH = 32;
const CHUNK_STEPS = 10;
/** Held-out digits scored for the chart during training (all of them at the end). */
const CHART_SAMPLE = 500;

const $ = (id) => document.getElementById(id);
const state = {
  phase: "loading",
  backend: null,
  backendNote: "",
  steps: 0,
  points: [],
  strokes: 0,
  predictedStrokes: 0,
  accuracy: null,
  prediction: null,
  probabilities: null,
  error: null,
};
window.nncDemo = { state };

let data = null;
let model = null;
let chart = null;
let stopRequested = false;

function setStatus(text) {
  $("status").textContent = text;
}

function fail(error) {
  state.error = error instanceof Error ? error.message : String(error);
  state.phase = "error";
  setStatus(`Error: ${state.error}`);
  setButtons();
}

function setButtons() {
  const idle = state.phase === "ready" || state.phase === "trained";
  $("train").disabled = !idle;
  $("reset").disabled = !idle;
  $("save").disabled = !idle;
  $("load").disabled = !idle;
  $("stop").disabled = state.phase !== "training";
}

/** The shipped digits (see serve.mjs): x in 0..1, y as class ids; the last HELD_OUT held out. */
async function loadDigits() {
  const response = await fetch("data/mnist.bin");
  if (!response.ok) throw new Error(`cannot load the digits (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const count = new DataView(bytes.buffer).getUint32(0, true);
  const x = new Float32Array(count * PIXELS);
  const pixels = bytes.subarray(4 + count);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  const y = Float32Array.from(bytes.subarray(4, 4 + count));
  const trainRows = count - HELD_OUT;
  return {
    trainRows,
    train: { x: x.subarray(0, trainRows * PIXELS), y: y.subarray(0, trainRows) },
    heldOut: {
      x: { shape: [HELD_OUT, PIXELS], data: x.subarray(trainRows * PIXELS) },
      labels: y.subarray(trainRows),
    },
  };
}

/** WebGPU when the browser has an adapter and the runtime the backend; else the cpu. */
async function createModel() {
  const wanted = new URLSearchParams(location.search).get("backend");
  if (wanted !== "cpu") {
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter().catch(() => null) : null;
    if (adapter) {
      try {
        const made = await MnistMLP.create({ backend: "webgpu" });
        return { model: made, backend: "webgpu", note: "" };
      } catch (error) {
        state.backendNote = error instanceof Error ? error.message : String(error);
      }
    } else {
      state.backendNote = "this browser has no WebGPU adapter";
    }
  }
  return {
    model: await MnistMLP.create({ backend: "cpu" }),
    backend: "cpu",
    note: state.backendNote,
  };
}

async function newModel() {
  model?.dispose();
  const made = await createModel();
  model = made.model;
  state.backend = made.backend;
  state.steps = 0;
  state.points = [];
  state.accuracy = null;
  if (chart) await chart.view.remove("points", () => true).runAsync();
  const where =
    made.backend === "webgpu"
      ? "WebGPU"
      : `the CPU (WebAssembly${made.note ? `; ${made.note}` : ""})`;
  setStatus(`Ready: an untrained model on ${where}.`);
}

/** Share of `rows` held-out digits the model classifies correctly. */
async function heldOutAccuracy(rows = HELD_OUT) {
  const { x, labels } = data.heldOut;
  const input = { shape: [rows, PIXELS], data: x.data.subarray(0, rows * PIXELS) };
  const out = (await model.predict(input)).data;
  let correct = 0;
  for (let r = 0; r < rows; r++) if (argmax(out, r * 10, 10) === labels[r]) correct++;
  return correct / rows;
}

function shuffled(count, seed) {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = count - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

async function addPoint(point) {
  state.points.push(point);
  await chart?.view.insert("points", [point]).runAsync();
}

async function train() {
  const target =
    state.steps + Math.max(1, Math.min(10_000, Math.round(Number($("steps").value)) || 500));
  state.phase = "training";
  stopRequested = false;
  setButtons();
  const rows = data.trainRows;
  const chunkRows = CHUNK_STEPS * BATCH;
  const x = new Float32Array(chunkRows * PIXELS);
  const y = new Float32Array(chunkRows);
  const settings = {
    epochs: 1,
    batchSize: BATCH,
    shuffle: false,
    validationSplit: 0,
    earlyStopping: null,
    lrSchedule: null,
  };
  const started = performance.now();
  let chunks = 0;
  outer: for (let epoch = 0; state.steps < target; epoch++) {
    const order = shuffled(rows, 2022 + epoch);
    for (let start = 0; start < rows && state.steps < target; start += chunkRows) {
      if (stopRequested) break outer;
      const n = Math.min(chunkRows, rows - start, (target - state.steps) * BATCH);
      for (let r = 0; r < n; r++) {
        const source = order[start + r];
        x.set(data.train.x.subarray(source * PIXELS, (source + 1) * PIXELS), r * PIXELS);
        y[r] = data.train.y[source];
      }
      const batch = {
        x: { shape: [n, PIXELS], data: x.subarray(0, n * PIXELS) },
        y: { shape: [n], data: y.subarray(0, n) },
      };
      const history = await model.fit({ train: batch }, settings);
      state.steps += Math.ceil(n / BATCH);
      chunks++;
      const loss = history.epochs[0].loss;
      const accuracy = chunks % 5 === 0 ? await heldOutAccuracy(CHART_SAMPLE) : null;
      await addPoint({ step: state.steps, loss, accuracy });
      const seconds = (performance.now() - started) / 1000;
      setStatus(
        `Training on ${state.backend === "webgpu" ? "WebGPU" : "the CPU"}: step ${state.steps} of ${target} (epoch ${epoch + 1}), loss ${loss.toFixed(4)} (${(state.steps / seconds).toFixed(1)} steps/s)`,
      );
      await nextFrame();
    }
  }
  state.accuracy = await heldOutAccuracy();
  await addPoint({ step: state.steps, loss: null, accuracy: state.accuracy });
  state.phase = "trained";
  setStatus(
    `Trained ${state.steps} steps on ${state.backend === "webgpu" ? "WebGPU" : "the CPU"}: held-out accuracy ${(state.accuracy * 100).toFixed(1)}% of ${HELD_OUT} digits.`,
  );
  setButtons();
  await predictDrawing();
}

async function embedChart() {
  if (typeof window.vegaEmbed !== "function") throw new Error("vega-embed did not load");
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 440,
    height: 240,
    data: { name: "points" },
    encoding: { x: { field: "step", type: "quantitative", title: "step" } },
    layer: [
      {
        transform: [{ filter: "datum.loss != null" }],
        mark: { type: "line", color: "#1f77b4" },
        encoding: {
          y: {
            field: "loss",
            type: "quantitative",
            title: "training loss",
            axis: { titleColor: "#1f77b4" },
          },
        },
      },
      {
        transform: [{ filter: "datum.accuracy != null" }],
        mark: { type: "line", color: "#ff7f0e", point: { color: "#ff7f0e" } },
        encoding: {
          y: {
            field: "accuracy",
            type: "quantitative",
            title: "held-out accuracy",
            scale: { domain: [0, 1] },
            axis: { titleColor: "#ff7f0e", format: ".0%" },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
  chart = await window.vegaEmbed("#chart", spec, { actions: false, renderer: "svg" });
}

// The drawing pad: white strokes, predicted after each stroke.
const pad = $("pad");
const pen = pad.getContext("2d", { willReadFrequently: true });
let drawing = false;

function clearPad() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, pad.width, pad.height);
  state.prediction = null;
  state.probabilities = null;
  state.strokes = 0;
  state.predictedStrokes = 0;
  $("prediction").textContent = "–";
  $("probabilities").replaceChildren();
}

function padPoint(event) {
  const rect = pad.getBoundingClientRect();
  return [
    ((event.clientX - rect.left) * pad.width) / rect.width,
    ((event.clientY - rect.top) * pad.height) / rect.height,
  ];
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture?.(event.pointerId);
  const [x, y] = padPoint(event);
  pen.strokeStyle = "#fff";
  pen.lineWidth = 20;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(x, y);
  pen.lineTo(x, y);
  pen.stroke();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = padPoint(event);
  pen.lineTo(x, y);
  pen.stroke();
});
const endStroke = () => {
  if (!drawing) return;
  drawing = false;
  state.strokes++;
  predictDrawing().catch(fail);
};
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

async function predictDrawing() {
  const strokes = state.strokes;
  const input = padToInput(pad);
  if (!input || !model || state.phase === "training") return;
  const out = (await model.predict({ shape: [1, PIXELS], data: input })).data;
  if (strokes < state.predictedStrokes) return;
  state.predictedStrokes = strokes;
  state.probabilities = Array.from(out.subarray(0, 10));
  state.prediction = argmax(state.probabilities);
  $("prediction").textContent = String(state.prediction);
  $("probabilities").replaceChildren(
    ...state.probabilities.map((p, digit) => {
      const item = document.createElement("li");
      const bar = document.createElement("span");
      bar.style.width = `${Math.round(p * 150)}px`;
      item.append(`${digit}: ${(p * 100).toFixed(1).padStart(5)}%`, bar);
      return item;
    }),
  );
}

// Saving and loading the weights (safetensors, PyTorch's state_dict names).
async function saveWeights() {
  const bytes = await model.save();
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "mnist-mlp.safetensors";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function loadWeights(file) {
  const before = state.phase;
  state.phase = "loading";
  setButtons();
  try {
    await model.load(new Uint8Array(await file.arrayBuffer()));
  } catch (error) {
    state.phase = before;
    setButtons();
    setStatus(`Cannot load ${file.name}: ${error instanceof Error ? error.message : error}`);
    return;
  }
  state.accuracy = await heldOutAccuracy();
  state.phase = "trained";
  setStatus(
    `Loaded ${file.name}: held-out accuracy ${(state.accuracy * 100).toFixed(1)}% of ${HELD_OUT} digits.`,
  );
  setButtons();
  await predictDrawing();
}

async function guarded(action) {
  try {
    await action();
  } catch (error) {
    fail(error);
  }
}

$("train").addEventListener("click", () => guarded(train));
$("stop").addEventListener("click", () => (stopRequested = true));
$("reset").addEventListener("click", () =>
  guarded(async () => {
    state.phase = "loading";
    setButtons();
    await newModel();
    clearPad();
    state.phase = "ready";
    setButtons();
  }),
);
$("clear").addEventListener("click", clearPad);
$("save").addEventListener("click", () => guarded(saveWeights));
$("load").addEventListener("change", (event) => {
  const file = event.target.files?.[0];
  event.target.value = "";
  if (file) guarded(() => loadWeights(file));
});

guarded(async () => {
  clearPad();
  await embedChart();
  data = await loadDigits();
  await newModel();
  state.phase = "ready";
  setButtons();
});
