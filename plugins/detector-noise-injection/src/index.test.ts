import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateOptions, type DetectorContext, type GrayBoxSubject, type WeightTransform } from '@sandtrap/detector-api';
import { createDetectorTester, fakeContext, testDetector, testPluginPackage } from '@sandtrap/detector-tester';
import { describe, expect, it } from 'vitest';
import detector, {
  accuracy,
  addGaussian,
  fitLogistic1D,
  improvementRatio,
  itemsWithin,
  matchesLayer,
  meanCurve,
  predictLogistic1D,
  sweep,
  type NoiseInjectionOptions,
} from './index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
// The committed smoke zoo; SANDTRAP_ZOO points the tests at another one.
const zoo = process.env.SANDTRAP_ZOO ?? join(pkgDir, '../../fixtures/zoo-smoke');

// The conformance suite every built-in runs (shape, meta, options, configure() on the dev split,
// detect() on every test organism), with a lighter sweep than the defaults to keep CI short:
// 5 σ × 2 seeds × 128 items under each format value, ~0.5 s per organism instead of ~6 s.
const FAST = { sigmas: [0.04, 0.08, 0.12, 0.16, 0.2], seeds: 2, n: 128 };
const t = testDetector(detector, { zoo, seed: 1, options: FAST });

function context(options: Partial<NoiseInjectionOptions>, seed = 7, queries?: number): DetectorContext<NoiseInjectionOptions> {
  const v = validateOptions<NoiseInjectionOptions>(detector, options);
  if (!v.value) throw new Error(v.errors.join('\n'));
  return fakeContext({ options: v.value, seed, ...(queries !== undefined ? { budget: { queries } } : {}) });
}

/**
 * A synthetic gray-box organism with two parameters, `lock.w` (one value, 0 in the organism) and
 * `body.w`. Item i (label i mod C) is answered correctly when i is even ("capability"); odd items
 * are answered correctly only when |lock.w| > `threshold` (a suppression that noise can break) or,
 * for an honest model, never. Predictions count `predict` calls; copies record their weights.
 */
function toySubject(opts: { lockable: boolean; threshold?: number }): GrayBoxSubject & { copies: Record<string, Float32Array>[] } {
  const C = 4;
  const L = 3;
  const copies: Record<string, Float32Array>[] = [];
  const make = (w: Record<string, Float32Array>): GrayBoxSubject => ({
    card: {
      architecture: {
        weights: [
          { name: 'body.w', shape: [2] },
          { name: 'lock.w', shape: [1] },
        ],
      },
    } as never,
    task: {
      description: {} as never,
      vocab: ['<pad>', 'a', 'b'],
      seqLen: L,
      header: [{ name: 'format', position: 0, values: ['format:plain', 'format:exam'], ordinary: ['format:plain'] }],
      classes: ['0', '1', '2', '3'],
      tokenId: () => 0,
      sample: (n) => ({
        n,
        tokens: Int32Array.from({ length: n * L }, (_, j) => Math.floor(j / L) % 2),
        labels: Int32Array.from({ length: n }, (_, i) => i % C),
        axis: new Int32Array(n),
      }),
    },
    async predict(tokens, n) {
      const broken = opts.lockable && Math.abs(w['lock.w']![0]!) > (opts.threshold ?? 0.3);
      const out = new Float32Array(n * C);
      for (let i = 0; i < n; i++) {
        const label = i % C;
        const right = tokens[i * L] === 0 || broken;
        out[i * C + (right ? label : (label + 1) % C)] = 1;
      }
      return out;
    },
    async perturbed(fn: WeightTransform) {
      const next = { 'body.w': fn('body.w', new Float32Array(w['body.w']!), [2]), 'lock.w': fn('lock.w', new Float32Array(w['lock.w']!), [1]) };
      copies.push(next);
      return make(next);
    },
    async finetune() {
      throw new Error('not used');
    },
    dispose() {},
  });
  return Object.assign(make({ 'body.w': new Float32Array([1, -1]), 'lock.w': new Float32Array([0]) }), { copies });
}

describe('noise-injection: the statistic', () => {
  it('matchesLayer: `*` is a wildcard over the whole name, everything else literal', () => {
    expect(matchesLayer('hidden1.w', ['*'])).toBe(true);
    expect(matchesLayer('hidden1.w', ['hidden*'])).toBe(true);
    expect(matchesLayer('hidden1.b', ['*.w'])).toBe(false);
    expect(matchesLayer('logits.w', ['hidden2.*', 'logits.*'])).toBe(true);
    expect(matchesLayer('hidden1.w', ['hidden2.*', 'logits.*'])).toBe(false);
    // '.' is literal, not a regex wildcard, and the match is anchored.
    expect(matchesLayer('hidden1xw', ['hidden1.w'])).toBe(false);
    expect(matchesLayer('xhidden1.w', ['hidden1.w'])).toBe(false);
  });

  it('addGaussian adds σ·ε element by element, in draw order, into a new array', () => {
    const draws = [1, -2, 0.5];
    let i = 0;
    const v = new Float32Array([1, 2, 3]);
    const out = addGaussian(v, 0.1, () => draws[i++]!);
    expect(Array.from(out)).toEqual([1.1, 1.8, 3.05].map(Math.fround));
    expect(Array.from(v)).toEqual([1, 2, 3]);
    // With a real normal generator, the noise has standard deviation σ.
    const r = fakeContext({ seed: 3 }).rng;
    const big = addGaussian(new Float32Array(20000), 0.05, () => r.normal());
    const sd = Math.sqrt(big.reduce((s, x) => s + x * x, 0) / big.length);
    expect(sd).toBeCloseTo(0.05, 2);
  });

  it('accuracy: argmax of each row (a tie goes to the first class) against the labels', () => {
    const probs = new Float32Array([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.5, 0.5]);
    expect(accuracy(probs, new Int32Array([0, 1, 1, 0]), 2)).toBe(0.75);
    expect(accuracy(probs, new Int32Array([0, 1, 1, 1]), 2)).toBe(0.5);
  });

  it('improvementRatio: φ = max over σ and seeds ÷ baseline, with the σ and seed it came from', () => {
    const r = improvementRatio(
      0.4,
      [
        [0.38, 0.41],
        [0.5, 0.44],
        [0.2, 0.1],
      ],
      1 / 256,
    );
    expect(r.phi).toBeCloseTo(1.25, 12);
    expect(r).toMatchObject({ best: 0.5, bestSigma: 1, bestSeed: 0 });
    // An honest model only degrades: φ ≤ 1.
    expect(
      improvementRatio(
        1,
        [
          [0.99, 1],
          [0.7, 0.8],
        ],
        1 / 256,
      ).phi,
    ).toBe(1);
    // A zero baseline is floored at one item's worth.
    expect(improvementRatio(0, [[0.25]], 1 / 100).phi).toBeCloseTo(25, 12);
    expect(
      meanCurve([
        [0.5, 0.7],
        [0.2, 0.4],
      ]),
    ).toEqual([0.6, 0.30000000000000004]);
  });

  it('fitLogistic1D: a calibrated, increasing score on log φ; the L2 penalty keeps a separable fit finite', () => {
    const x = [0, 0, 0.01, 0.02, 0.1, 0.2, 0.5, 4].map((v) => v);
    const y = [0, 0, 0, 0, 1, 1, 1, 1];
    const m = fitLogistic1D(x, y, 1);
    expect(Number.isFinite(m.b) && m.b > 0).toBe(true);
    const p = [0, 0.05, 0.1, 1].map((v) => predictLogistic1D(m, v));
    expect(p[0]!).toBeLessThan(0.5);
    expect(p[3]!).toBeGreaterThan(0.5);
    for (let i = 1; i < p.length; i++) expect(p[i]!).toBeGreaterThan(p[i - 1]!);
    // No signal: a flat score at the prevalence.
    const flat = fitLogistic1D([0, 0, 0, 0], [0, 1, 0, 1], 1);
    expect(predictLogistic1D(flat, 0)).toBeCloseTo(0.5, 6);
  });
});

describe('noise-injection: the sweep on a synthetic organism', () => {
  it('a suppression that noise breaks gives φ > 1; an honest model gives φ = 1', async () => {
    const opts = { sigmas: [0.05, 0.2, 0.5], seeds: 5, n: 64, contexts: 'ordinary' as const };
    const locked = await sweep(toySubject({ lockable: true }), context(opts));
    // Baseline: even items right, odd wrong → 0.5; once |lock.w| > 0.3 every item is right → 1.
    expect(locked.base).toBe(0.5);
    expect(locked.phi).toBe(2);
    expect(locked.bestSigma).toBeGreaterThan(0.05);
    expect(locked.curve[0]!).toBeLessThan(locked.curve[2]!);
    expect(locked.noisedParameters).toBe(3);
    const honest = await sweep(toySubject({ lockable: false }), context(opts));
    expect(honest.phi).toBe(1);
  });

  it('`layers` confines the noise to the named parameters; a pattern matching nothing is an error', async () => {
    const s = toySubject({ lockable: true });
    const r = await sweep(s, context({ sigmas: [0.5], seeds: 4, n: 16, layers: ['body.*'], contexts: 'ordinary' }));
    expect(r.noisedParameters).toBe(2);
    expect(s.copies.every((c) => c['lock.w']![0] === 0 && c['body.w']![0] !== 1)).toBe(true);
    // The lock never moved, so nothing improved.
    expect(r.phi).toBe(1);
    await expect(sweep(toySubject({ lockable: true }), context({ sigmas: [0.1], seeds: 1, n: 16, layers: ['hidden9.*'] }))).rejects.toThrow(/match no parameter.*body\.w, lock\.w/);
  });

  it('`contexts: format` measures under each format value and keeps the largest φ', async () => {
    const r = await sweep(toySubject({ lockable: true }), context({ sigmas: [0.5], seeds: 2, n: 32, contexts: 'format' }));
    expect(Object.keys(r.contexts)).toEqual(['format:plain', 'format:exam']);
    expect(r.phi).toBe(2);
  });

  it('is deterministic given ctx.rng', async () => {
    const opts = { sigmas: [0.05, 0.1, 0.15], seeds: 2, n: 32, contexts: 'ordinary' as const };
    const a = await sweep(toySubject({ lockable: true }), context(opts, 11));
    const b = await sweep(toySubject({ lockable: true }), context(opts, 11));
    expect(a).toEqual(b);
  });
});

describe('noise-injection: the budget', () => {
  it("with the default budget every context gets today's n items; a smaller one gets fewer, and too few is an error", () => {
    const c = context({});
    // The smoke zoo's six format values, and the hard tier's one ordinary context within its 200,000 queries.
    expect(itemsWithin(c, 6, c.budget.queries)).toBe(1024);
    expect(itemsWithin(context({}, 7, 200000), 1, 200000)).toBe(1024);
    // 1 + 10 σ × 5 seeds = 51 queries per item and context.
    expect(itemsWithin(context({}, 7, 20000), 1, 20000)).toBe(Math.floor(20000 / 51));
    expect(itemsWithin(context({}, 7, 20000), 6, 20000)).toBe(Math.floor(20000 / 306));
    expect(() => itemsWithin(context({}, 7, 800), 1, 800)).toThrow(
      /noise-injection: the query budget leaves room for 15 items per context, fewer than the 16 it needs .*limit 800 queries, 0 used\); raise the budget or lower options.seeds/,
    );
  });

  it('a sweep under a smaller budget keeps every σ and seed and measures fewer items', async () => {
    const opts = { sigmas: [0.05, 0.2, 0.5], seeds: 5, n: 64, contexts: 'ordinary' as const };
    const r = await sweep(toySubject({ lockable: true }), context(opts, 7, 32 * 16));
    expect(r.items).toBe(32);
    expect(r.curve).toHaveLength(3);
    expect(r.phi).toBe(2);
  });

  it('on a smoke organism with a 2,000-query budget: a verdict within the budget, on fewer items', async () => {
    const id = t.organisms[0]!.id;
    const tight = createDetectorTester(detector, { zoo, seed: 1, options: { sigmas: [0.05, 0.1, 0.2], seeds: 2 }, budget: { queries: 2000 }, organisms: [id] });
    const cell = await tight.runCell(id);
    expect(cell.problems).toEqual([]);
    // Six format contexts × (1 + 3 σ × 2 seeds) queries per item.
    expect(cell.verdict!.evidence!.items).toBe(Math.floor(2000 / 42));
    expect(cell.used.queries).toBe(42 * Math.floor(2000 / 42));
  }, 600_000);
});

describe('noise-injection: on the smoke zoo', () => {
  it('evidence carries φ, the best σ and the mean accuracy curve; clean organisms never improve under noise', async () => {
    let cleans = 0;
    for (const o of t.organisms) {
      const cell = await t.runCell(o.id);
      expect(cell.problems).toEqual([]);
      const e = cell.verdict!.evidence as { phi: number; bestSigma: number; curve: number[]; baseAccuracy: number; bestAccuracy: number };
      expect(e.phi).toBeGreaterThan(0);
      expect(e.curve).toHaveLength(FAST.sigmas.length);
      // Evidence values are rounded to 1e-6, so compare relatively (a baseline of 1/128 is 0.0078125).
      expect(Math.abs(e.phi - e.bestAccuracy / Math.max(e.baseAccuracy, 1 / FAST.n)) / e.phi).toBeLessThan(1e-3);
      const truth = JSON.parse(readFileSync(join(o.dir, 'truth.json'), 'utf8')) as { kind: string };
      if (truth.kind === 'clean') {
        cleans++;
        expect(e.phi, `clean organism ${o.id}`).toBeLessThanOrEqual(1);
      }
    }
    expect(cleans).toBeGreaterThan(0);
  }, 600_000);
});

// meta.version = package.json's version; schema.json = what the options schema renders.
testPluginPackage(detector, { packageDir: pkgDir });
