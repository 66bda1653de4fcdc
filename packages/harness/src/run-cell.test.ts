import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTf, initBackend, loadModel, readTruth, readZooIndex, Rng, type BudgetLimits } from '@sandtrap/core';
import { defineDetector, type AnyDetector } from '@sandtrap/detector-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellSeed, configureLimits, detectSeed, referenceTruth, runCell, runConfigure, type HarnessOrganism } from './index.js';

const zoo = fileURLToPath(new URL('../../../fixtures/zoo-smoke', import.meta.url));
const limits: BudgetLimits = { queries: 10_000, finetuneSteps: 0, wallSeconds: 30 };
let testId: string;
let devIds: string[];

beforeAll(async () => {
  await initBackend('cpu');
  const index = await readZooIndex(zoo);
  testId = index.organisms.find((o) => o.split === 'test')!.id;
  devIds = index.organisms
    .filter((o) => o.split === 'dev')
    .map((o) => o.id)
    .slice(0, 2);
});

async function organism(id = testId): Promise<HarnessOrganism> {
  const { card, model } = await loadModel(join(zoo, 'organisms', id));
  return { card, model, label: `organism ${id}` };
}

const live = () => getTf().memory().numTensors;

const detector = (name: string, detect: AnyDetector['detect'], configure?: AnyDetector['configure']): AnyDetector =>
  defineDetector({ meta: { name, version: '1.0.0', apiVersion: 1, access: 'black-box' }, detect, ...(configure ? { configure } : {}) }) as AnyDetector;

describe('runCell', () => {
  it('a throwing detect() leaks no tensor and no model: the organism and the subject are freed', async () => {
    const before = live();
    const out = await runCell({
      detector: detector('throws-after-work', async (subject, ctx) => {
        // Queries (tensors inside the subject), and a tensor of its own it never disposes before throwing.
        const batch = subject.task.sample(4);
        await subject.predict(batch.tokens, batch.n);
        ctx.tf.tensor1d([1, 2, 3]);
        throw new Error('boom');
      }),
      organism: await organism(),
      options: {},
      limits,
      seed: 1,
    });
    expect(out.problems.map((p) => p.reason)).toEqual(['threw', 'leaked-tensors']);
    expect(out.problems[0]!.message).toMatch(/^detect\(\) threw Error: boom/);
    expect(out.retire).toBe(true);
    // The detector's own tensor is the only one left: the model's weights were disposed.
    expect(live()).toBe(before + 1);
  });

  it('a throwing detect() that made no tensors leaves numTensors exactly as before, and the worker need not retire', async () => {
    const before = live();
    const out = await runCell({ detector: detector('throws', () => Promise.reject(new Error('nope'))), organism: await organism(), options: {}, limits, seed: 1 });
    expect(out.problems).toEqual([{ reason: 'threw', message: expect.stringMatching(/^detect\(\) threw Error: nope/) }]);
    expect(out.retire).toBe(false);
    expect(out.verdict).toBeUndefined();
    expect(live()).toBe(before);
  });

  it('aborts ctx.signal at the wall budget: a detector that polls it ends as a budget failure, promptly', async () => {
    const before = live();
    const t0 = performance.now();
    const out = await runCell({
      detector: detector('polls', async (_s, ctx) => {
        for (;;) {
          ctx.signal.throwIfAborted();
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
      organism: await organism(),
      options: {},
      limits: { ...limits, wallSeconds: 0.3 },
      seed: 1,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]!.reason).toBe('budget');
    expect(out.problems[0]!.message).toMatch(/^over budget: detect\(\) budget exceeded: wall seconds > 0\.3/);
    expect(out.retire).toBe(false);
    expect(seconds).toBeLessThan(1.5);
    expect(live()).toBe(before);
  });

  it('declares a detector that ignores ctx.signal hung after the grace, and retires its process', async () => {
    const out = await runCell({
      detector: detector('ignores-signal', () => new Promise(() => {})),
      organism: await organism(),
      options: {},
      limits: { ...limits, wallSeconds: 0.2 },
      hangGraceMs: 100,
      seed: 1,
    });
    expect(out.problems).toEqual([{ reason: 'timeout', message: expect.stringMatching(/^hung: detect\(\) did not return within 0\.2 s .*check ctx\.signal/) }]);
    expect(out.retire).toBe(true);
  });

  it('seeds the subject with the cell seed and ctx.rng with detectSeed of it', async () => {
    const seed = cellSeed(1, 'draws', testId);
    const draws = detector('draws', async (subject, ctx) => ({
      score: ctx.rng.float(),
      flagged: false,
      evidence: { first: Array.from(subject.task.sample(2).tokens.slice(0, 4)) },
    }));
    const a = await runCell({ detector: draws, organism: await organism(), options: {}, limits, seed });
    const b = await runCell({ detector: draws, organism: await organism(), options: {}, limits, seed });
    expect(a.problems).toEqual([]);
    expect(a.verdict!.score).toBe(new Rng(detectSeed(seed)).float());
    expect(b.verdict).toEqual(a.verdict);
  });

  it('an invalid verdict is a problem; a mutated organism is another', async () => {
    const seven = await runCell({ detector: detector('seven', async () => ({ score: 7 })), organism: await organism(), options: {}, limits, seed: 1 });
    expect(seven.problems.map((p) => p.reason)).toEqual(['invalid-verdict']);
    const mutator = defineDetector({
      meta: { name: 'mutator', version: '1.0.0', apiVersion: 1, access: 'black-box' },
      async detect(subject) {
        (subject.card as unknown as { architecture: string }).architecture = 'changed';
        return { score: 0.5 };
      },
    }) as AnyDetector;
    const m = await runCell({ detector: mutator, organism: await organism(), options: {}, limits, seed: 1 });
    expect(m.problems.map((p) => p.reason)).toEqual(['mutated']);
    expect(m.verdict).toBeUndefined();
  });
});

describe('runConfigure', () => {
  async function references() {
    return Promise.all(devIds.map(async (id) => ({ ...(await organism(id)), truth: referenceTruth(await readTruth(join(zoo, 'organisms', id))) })));
  }

  it('gives configure() one cell budget per reference, truth, and returns cloned state; frees every model', async () => {
    const before = live();
    let seen: { budget: number; kinds: string[] } | undefined;
    const out = await runConfigure({
      detector: detector(
        'calibrates',
        async () => ({ score: 0.5 }),
        async (refs, ctx) => {
          seen = { budget: ctx.budget.queries, kinds: refs.map((r) => r.truth.kind) };
          return { threshold: 0.5 };
        },
      ),
      references: await references(),
      options: {},
      limits,
      seed: 1,
    });
    expect(out).toMatchObject({ ran: true, problems: [], state: { threshold: 0.5 } });
    expect(seen!.budget).toBe(configureLimits(limits, devIds.length).queries);
    expect(seen!.kinds).toHaveLength(devIds.length);
    expect(live()).toBe(before);
  });

  it('state that cannot cross a process boundary is a problem, and a throw frees the references too', async () => {
    const fn = await runConfigure({
      detector: detector(
        'fn-state',
        async () => ({ score: 0.5 }),
        async () => ({ decide: () => 1 }),
      ),
      references: await references(),
      options: {},
      limits,
      seed: 1,
    });
    expect(fn.problems.map((p) => p.reason)).toEqual(['invalid-state']);
    expect(fn.state).toBeUndefined();
    const before = live();
    const thrown = await runConfigure({
      detector: detector(
        'cfg-throws',
        async () => ({ score: 0.5 }),
        async () => Promise.reject(new Error('no')),
      ),
      references: await references(),
      options: {},
      limits,
      seed: 1,
    });
    expect(thrown.problems.map((p) => p.reason)).toEqual(['threw']);
    expect(live()).toBe(before);
  });
});
