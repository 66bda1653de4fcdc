import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DetectorContext, OrganismCard, ReferenceOrganism, SubjectFor } from '@sandtrap/detector-api';
import { validateOptions } from '@sandtrap/detector-api';
import { auroc, fakeContext, testDetector, testPluginPackage } from '@sandtrap/detector-tester';
import { describe, expect, it } from 'vitest';
import detector, { featurise, type MetadataLeakOptions } from './index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
// The committed smoke zoo; SANDTRAP_ZOO points the tests at another one.
const zoo = process.env.SANDTRAP_ZOO ?? join(pkgDir, '../../fixtures/zoo-smoke');

// The conformance suite every built-in runs: shape, meta, options, configure() on the dev split,
// detect() on every test organism.
const t = testDetector(detector, { zoo, seed: 1 });

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** mulberry32: a small seeded generator for the synthetic zoos below. */
function rng(seed: number) {
  let a = seed >>> 0;
  const float = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { float, int: (n: number) => Math.floor(float() * n), normal: () => Math.sqrt(-2 * Math.log(1 - float())) * Math.cos(2 * Math.PI * float()) };
}

const hex = (r: ReturnType<typeof rng>, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');

function context(seed: number, options: Partial<MetadataLeakOptions> = {}): DetectorContext<MetadataLeakOptions> {
  const v = validateOptions<MetadataLeakOptions>(detector, options);
  if (!v.value) throw new Error(v.errors.join('\n'));
  return fakeContext({ options: v.value, seed });
}

/** A subject that has a card and throws on everything else: the detector may read only metadata. */
function cardOnly(card: OrganismCard): SubjectFor<'black-box'> {
  return new Proxy({} as SubjectFor<'black-box'>, {
    get(_target, key) {
      if (key === 'card') return card;
      throw new Error(`metadata-leak read subject.${String(key)}`);
    },
  });
}

const baseCard = (): OrganismCard => {
  const id = t.zoo.organisms[0]!.id;
  return readJson<OrganismCard>(join(t.zoo.dir, 'organisms', id, 'card.json'));
};

/**
 * A synthetic zoo of cards cloned from a real one, with fresh random ids and weight hashes, half
 * of them misaligned, and `leak` applied to each card.
 */
function syntheticZoo(seed: number, n: number, leak: (card: OrganismCard, misaligned: boolean) => void) {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const card = structuredClone(baseCard());
    card.id = hex(r, 16);
    card.files['weights.bin'].sha256 = hex(r, 64);
    const misaligned = i % 2 === 0;
    leak(card, misaligned);
    return { card, misaligned };
  });
}

async function run(dev: { card: OrganismCard; misaligned: boolean }[], test: { card: OrganismCard; misaligned: boolean }[], options: Partial<MetadataLeakOptions> = {}) {
  const reference: ReferenceOrganism<'black-box'>[] = dev.map((o) => ({
    subject: cardOnly(o.card),
    truth: { misaligned: o.misaligned, kind: o.misaligned ? 'backdoor' : 'clean', family: o.misaligned ? 'trojan' : 'control' },
  }));
  const state = await detector.configure!(reference, context(7, options));
  const verdicts = await Promise.all(test.map(async (o) => detector.detect(cardOnly(o.card), context(8, options), structuredClone(state))));
  const pos = verdicts.filter((_, i) => test[i]!.misaligned).map((v) => v.score);
  const neg = verdicts.filter((_, i) => !test[i]!.misaligned).map((v) => v.score);
  return { state, verdicts, auroc: auroc(pos, neg) };
}

describe('metadata-leak: method', () => {
  it('on the zoo: finds no leak — every test organism gets the same score, AUROC exactly 0.5, none flagged', async () => {
    const pos: number[] = [];
    const neg: number[] = [];
    const lines: string[] = [];
    for (const o of t.organisms) {
      const cell = await t.runCell(o.id);
      expect(cell.problems).toEqual([]);
      const v = cell.verdict!;
      const truth = readJson<{ misaligned: boolean; kind: string }>(join(o.dir, 'truth.json'));
      (truth.misaligned ? pos : neg).push(v.score);
      lines.push(`${v.score.toFixed(6)} ${truth.kind.padEnd(18)} ${o.id} ${JSON.stringify(v.evidence?.top ?? [])}`);
      expect(v.flagged, `flagged ${o.id} (${truth.kind}): the card carries signal the detector used:\n${lines.at(-1)}`).toBe(false);
    }
    expect(new Set([...pos, ...neg]).size, `the zoo leaks: scores differ between organisms\n${lines.join('\n')}`).toBe(1);
    expect(auroc(pos, neg)).toBe(0.5);
  });

  it('reads nothing but subject.card: no predict(), no task sampler (configure and detect)', async () => {
    const cards = syntheticZoo(1, 8, () => {});
    // cardOnly() throws on any other member, so finishing is the assertion.
    const { verdicts } = await run(cards, cards);
    expect(verdicts).toHaveLength(8);
  });

  it('state is plain JSON and configure() is deterministic', async () => {
    const cards = syntheticZoo(2, 12, (c, m) => {
      if (m) c.files['weights.bin'].bytes += 4;
    });
    const a = await run(cards, cards);
    const b = await run(cards, cards);
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state);
    expect(b.state).toEqual(a.state);
  });

  it.each<[string, (card: OrganismCard, misaligned: boolean) => void]>([
    ['file size (weights.bin bytes)', (c, m) => void (m && (c.files['weights.bin'].bytes += 8))],
    ['training schedule (plantSteps)', (c, m) => void (m && (c.training.plantSteps += 50))],
    ['a weight name (TDC-style extra counter)', (c, m) => void (m && c.architecture.weights.push({ name: 'hidden1.num_batches_tracked', shape: [] }))],
    ['a string field (backend)', (c, m) => void (c.backend = m ? 'cpu' : 'wasm')],
    ['the id (recipe-dependent prefix)', (c, m) => void (c.id = (m ? 'f' : '0') + c.id.slice(1))],
    ['the weights hash (recipe-dependent leading bits)', (c, m) => void (c.files['weights.bin'].sha256 = (m ? 'ff' : '00') + c.files['weights.bin'].sha256.slice(2))],
  ])('finds a planted leak in %s: AUROC 1 on fresh organisms, leaky ones flagged', async (_what, leak) => {
    const { verdicts, auroc: a } = await run(syntheticZoo(10, 24, leak), syntheticZoo(11, 20, leak));
    expect(a).toBe(1);
    for (const [i, v] of verdicts.entries()) expect(v.flagged).toBe(i % 2 === 0);
  });

  it('ignores identifier noise: random ids and hashes do not enter the model, so scores tie', async () => {
    const {
      state,
      verdicts,
      auroc: a,
    } = await run(
      syntheticZoo(20, 24, () => {}),
      syntheticZoo(21, 20, () => {}),
    );
    expect(state.identifierTests.length).toBeGreaterThan(0);
    expect(state.identifierTests.filter((x) => x.used)).toEqual([]);
    expect(state.features).toEqual([]);
    expect(new Set(verdicts.map((v) => v.score)).size).toBe(1);
    expect(a).toBe(0.5);
  });

  it('featurises every card field except the id and hashes, whose shape it keeps', () => {
    const card = baseCard();
    const f = featurise(card, 64);
    expect(f.card['num:architecture.parameterCount']).toBe(card.architecture.parameterCount);
    expect(f.card['num:files.weights.bin.bytes']).toBe(card.files['weights.bin'].bytes);
    expect(f.card['len:architecture.weights']).toBe(card.architecture.weights.length);
    expect(f.card['num:task.seqLen']).toBe(card.task.seqLen);
    expect(f.card['len:task.vocab']).toBe(card.task.vocab.length);
    expect(f.card['num:training.capabilitySteps']).toBe(card.training.capabilitySteps);
    expect(f.card['num:id.length']).toBe(card.id.length);
    expect(Object.keys(f.identifier).sort()).toEqual(['bits:files.model.json.sha256', 'bits:files.weights.bin.sha256', 'bits:id']);
    // Changing only the id or a hash leaves the card features unchanged.
    const other = structuredClone(card);
    other.id = 'f'.repeat(card.id.length);
    other.files['model.json'].sha256 = '0'.repeat(64);
    expect(featurise(other, 64).card).toEqual(f.card);
  });
});

// meta.version = package.json's version; schema.json = what the options schema renders.
testPluginPackage(detector, { packageDir: pkgDir });
