/**
 * `npm run bench`: measured figures, printed as JSON on stdout (progress on stderr).
 * Never asserted in tests — speed is measured here, not in timed tests.
 */
import { buildOrganism, getTf, initBackend, machineInfo, parseBackendRequest, TrainingCache, type ProgressEvent } from '@sandtrap/core';

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

const demo = await demoOrganism();
process.stderr.write(`bench: demo organism trained in ${demo.wallSeconds} s (${demo.trainingExamplesPerSecond} examples/s)\n`);
const result = {
  backend: backend.name,
  tfjs: backend.tfjsVersion,
  machine: machineInfo(),
  demo,
  tensorsAfter: getTf().memory().numTensors,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
