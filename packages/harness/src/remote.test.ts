import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getTf, initBackend, loadModel, readZooIndex, type BudgetLimits } from '@sandtrap/core';
import { checkDetectorShape, type Access } from '@sandtrap/detector-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorProcess, heapFlags, runCell, runRemoteCell, type HarnessOrganism } from './index.js';

/**
 * The detector in a process of its own (remote.ts): the same verdicts as in one process, and the
 * boundary holds — calls past the access level are refused, a caught budget error still fails the
 * cell, a hung detector's process is killed and the next cell gets a fresh one.
 */
const zoo = fileURLToPath(new URL('../../../fixtures/zoo-smoke', import.meta.url));
const limits: BudgetLimits = { queries: 20_000, finetuneSteps: 40, wallSeconds: 30 };
let testId: string;
let dir: string;
const procs: DetectorProcess[] = [];

const sources: Record<string, string> = {
  // Every call of every level, with ctx.rng inside the transform: the verdict records what each returned.
  'all-calls.mjs': `export default {
    meta: { name: 'all-calls', version: '1.0.0', apiVersion: 1, access: 'white-box' },
    async detect(subject, ctx) {
      const ex = subject.task.sample(16);
      const p = await subject.predict(ex.tokens, ex.n);
      const noisy = await subject.perturbed((name, v) => v.map((x) => x + 0.01 * ctx.rng.normal()));
      const q = await noisy.predict(ex.tokens, ex.n);
      const tuned = await subject.finetune(ex, { steps: 3 });
      const r = await tuned.predict(ex.tokens, ex.n);
      const f = ctx.tf.tidy(() => Array.from(tuned.forward(ctx.tf.oneHot(ctx.tf.tensor2d(ex.tokens, [ex.n, subject.task.seqLen], 'int32'), subject.task.vocab.length).toFloat()).dataSync()));
      const a = await subject.activations(ex.tokens.slice(0, 2 * subject.task.seqLen), 2, [subject.card.architecture.sites[0]]);
      const w = await subject.weights();
      noisy.dispose();
      tuned.dispose();
      const sum = (x) => Array.from(x).reduce((s, y) => s + y, 0);
      return { score: 0.5, evidence: { p: sum(p), q: sum(q), r: sum(r), f: sum(f), a: Object.keys(a).length, w: Object.keys(w).length, used: ctx.budget.used().queries } };
    },
  };`,
  'forges.mjs': `export default {
    meta: { name: 'forges', version: '1.0.0', apiVersion: 1, access: 'black-box' },
    async detect() {
      process.send({ t: 'call', id: 1e6, call: { op: 'weights', h: 1 } });
      await new Promise((r) => setTimeout(r, 50));
      return { score: 0.5 };
    },
  };`,
  'catches.mjs': `export default {
    meta: { name: 'catches', version: '1.0.0', apiVersion: 1, access: 'black-box' },
    async detect(subject, ctx) {
      const ex = subject.task.sample(ctx.budget.queries + 1);
      try { await subject.predict(ex.tokens, ex.n); } catch (e) { if (e.code !== 'SANDTRAP_BUDGET_EXCEEDED') throw e; }
      return { score: 0.5 };
    },
  };`,
  'hangs.mjs': `export default {
    meta: { name: 'hangs', version: '1.0.0', apiVersion: 1, access: 'black-box' },
    async detect(subject) {
      if (globalThis.__hungOnce) return { score: 0.25 };
      globalThis.__hungOnce = true;
      for (;;) {}
    },
  };`,
};

beforeAll(async () => {
  await initBackend('cpu');
  testId = (await readZooIndex(zoo)).organisms.find((o) => o.split === 'test')!.id;
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-remote-'));
  for (const [f, src] of Object.entries(sources)) await writeFile(join(dir, f), src);
});

afterAll(async () => {
  for (const p of procs) p.kill();
  await rm(dir, { recursive: true, force: true });
});

async function organism(): Promise<HarnessOrganism> {
  const { card, model } = await loadModel(join(zoo, 'organisms', testId));
  return { card, model, label: `organism ${testId}` };
}

function remote(file: string, access: Access) {
  const process = new DetectorProcess({ file: new URL('./detector-process.fixture.ts', import.meta.url), execArgv: heapFlags(512) });
  procs.push(process);
  return { process, backend: 'cpu', entry: pathToFileURL(join(dir, file)).href, where: file, access };
}

describe('heapFlags', () => {
  it('gives the heap limit and an old generation of a quarter of it (at most 256 MB), and Node runs with them', () => {
    expect(heapFlags(2048)).toEqual(['--max-old-space-size=2048', '--initial-old-space-size=256']);
    expect(heapFlags(64)).toEqual(['--max-old-space-size=64', '--initial-old-space-size=16']);
    const limit = execFileSync(process.execPath, [...heapFlags(64), '-e', 'console.log(require("node:v8").getHeapStatistics().heap_size_limit)'], { encoding: 'utf8' });
    // The limit is the old generation's 64 MB plus the young generation's room.
    expect(Number(limit) / 2 ** 20).toBeGreaterThanOrEqual(64);
    expect(Number(limit) / 2 ** 20).toBeLessThan(128);
  });
});

describe('runRemoteCell', () => {
  it('gives the verdict and usage of runCell for every subject call of every level (predict, perturbed, finetune, forward, activations, weights)', async () => {
    const entry = pathToFileURL(join(dir, 'all-calls.mjs')).href;
    const detector = checkDetectorShape(((await import(entry)) as { default: unknown }).default, 'all-calls').value!;
    const before = getTf().memory().numTensors;
    const local = await runCell({ detector, organism: await organism(), options: {}, limits, seed: 5 });
    const isolated = await runRemoteCell({ detector: remote('all-calls.mjs', 'white-box'), organism: await organism(), options: {}, limits, seed: 5 });
    expect(local.problems).toEqual([]);
    expect(isolated.problems).toEqual([]);
    expect(isolated.verdict).toEqual(local.verdict);
    expect(isolated.usage.queries).toBe(local.usage.queries);
    expect(isolated.usage.finetuneSteps).toBe(3);
    expect(getTf().memory().numTensors).toBe(before);
  }, 60_000);

  it('a call past the access level, forged on the IPC channel, is refused and fails the cell (forbidden)', async () => {
    const out = await runRemoteCell({ detector: remote('forges.mjs', 'black-box'), organism: await organism(), options: {}, limits, seed: 1 });
    expect(out.problems[0]!.reason).toBe('forbidden');
    expect(out.problems[0]!.message).toMatch(/weights\(\) needs white-box access; the detector declared black-box/);
    expect(out.verdict).toBeUndefined();
  }, 60_000);

  it('a detector that catches its budget error fails the cell all the same (the meter is out of its reach)', async () => {
    const out = await runRemoteCell({ detector: remote('catches.mjs', 'black-box'), organism: await organism(), options: {}, limits, seed: 1 });
    expect(out.problems.map((p) => p.reason)).toEqual(['budget']);
    expect(out.usage.queries).toBe(limits.queries + 1);
  }, 60_000);

  it('a detector that blocks its event loop is declared hung and its process killed; the next cell gets a fresh process', async () => {
    const d = remote('hangs.mjs', 'black-box');
    const short = { ...limits, wallSeconds: 1 };
    const hung = await runRemoteCell({ detector: d, organism: await organism(), options: {}, limits: short, seed: 1, hangGraceMs: 200 });
    expect(hung.problems[0]!.reason).toBe('timeout');
    expect(hung.retire).toBe(true);
    expect(d.process.alive).toBe(false);
    // A fresh process: the global the hung one set is gone, so it hangs again.
    const again = await runRemoteCell({ detector: d, organism: await organism(), options: {}, limits: short, seed: 1, hangGraceMs: 200 });
    expect(again.problems[0]!.reason).toBe('timeout');
  }, 60_000);
});
