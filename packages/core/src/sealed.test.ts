import { describe, expect, it } from 'vitest';
import { conditionKey } from './organism.js';
import { drawPhrases } from './recipes/hard/phrases.js';
import { recipeFor } from './recipes/index.js';
import { Rng } from './rng.js';
import { createTask, type DocModsumTask } from './tasks/index.js';
import { parseZooSpec, presetSpec, type ZooJob } from './zoo.js';
import { parseSealedSecret, sealCard, sealedCommitment, sealedId, sealedNames, sealedSeed, sealJobs, sealTruth } from './sealed.js';
import type { Card, Truth } from './schemas.js';

const A = '0123456789abcdef'.repeat(4);
const B = 'fedcba9876543210'.repeat(4);

describe('sealed secrets', () => {
  it('accepts ≥ 32 hex digits and names only the length of a bad one', () => {
    expect(parseSealedSecret(` ${A.toUpperCase()}\n`, 'X')).toBe(A);
    expect(() => parseSealedSecret('abc', 'SANDTRAP_SEALED_SEED')).toThrow(
      /SANDTRAP_SEALED_SEED: expected a secret of at least 32 hex digits \(128 bits\), found only 3 hex digits/,
    );
    expect(() => parseSealedSecret('hunter2-hunter2-hunter2-hunter2-x', 'X')).toThrow(/33 characters, not all hex digits/);
    expect(() => parseSealedSecret('', 'X')).toThrow(/an empty value/);
    try {
      parseSealedSecret('hunter2-hunter2-hunter2-hunter2-x', 'X');
    } catch (e) {
      expect(String(e)).not.toContain('hunter2');
    }
  });

  it('seeds, ids and the commitment are keyed: fixed for one secret, different for another', () => {
    expect(sealedSeed(A, 2)).toBe(sealedSeed(A, 2));
    expect(sealedSeed(A, 2)).not.toBe(sealedSeed(A, 3));
    expect(sealedSeed(A, 2)).not.toBe(sealedSeed(B, 2));
    expect(sealedSeed(A, 2)).toBeGreaterThanOrEqual(0);
    expect(sealedSeed(A, 2)).toBeLessThanOrEqual(0x7fffffff);
    expect(sealedId(A, 'abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(sealedId(A, 'abc')).not.toBe(sealedId(B, 'abc'));
    expect(sealedCommitment(A)).toMatch(/^[0-9a-f]{64}$/);
    expect(sealedCommitment(A)).not.toBe(sealedCommitment(B));
  });

  it('sealJobs reseeds every test job (new ids) and leaves the dev split alone', () => {
    const { jobs } = parseZooSpec(presetSpec('hard'));
    const sealed = sealJobs(jobs, A);
    expect(sealed).toHaveLength(jobs.length);
    jobs.forEach((j, i) => {
      const s = sealed[i]!;
      if (j.split === 'dev') expect(s).toEqual(j);
      else {
        expect(s.spec.seed).toBe(sealedSeed(A, j.spec.seed));
        expect(s.id).not.toBe(j.id);
        expect(s.spec.conditionSalt).toMatch(/^[0-9a-f]{64}$/);
        expect({ ...s.spec, seed: 0, conditionSalt: undefined }).toEqual({ ...j.spec, seed: 0, conditionSalt: undefined });
      }
    });
    expect(new Set(sealed.map((j) => j.id)).size).toBe(jobs.length);
    // Another secret: other test ids.
    const other = sealJobs(jobs, B).filter((j) => j.split === 'test');
    expect(other.map((j) => j.id).filter((id) => sealed.some((s) => s.id === id))).toEqual([]);
  });
});

describe('sealed names', () => {
  const words = Array.from({ length: 40 }, (_, i) => `w${String(i).padStart(2, '0')}`);
  it('a permutation of the document words, fixed per (secret, task)', () => {
    const m = sealedNames(A, 'doc-modsum', words);
    expect([...m.keys()]).toEqual(words);
    expect([...m.values()].sort()).toEqual(words);
    expect([...m].filter(([a, b]) => a !== b).length).toBeGreaterThan(30);
    expect(sealedNames(A, 'doc-modsum', words)).toEqual(m);
    expect(sealedNames(B, 'doc-modsum', words)).not.toEqual(m);
  });

  it('card and truth are renamed alike: vocab, filler lists, features, trigger and conditions', () => {
    const m = sealedNames(A, 't', words);
    const card = {
      id: 'x',
      task: { name: 't', vocab: ['<pad>', 'n0', ...words], body: { problem: [], filler: [], fillerWords: words, ordinaryFillerWords: words.slice(0, 10) } },
      features: [{ phrase: ['w03', 'w07'], shift: 2, description: "a document holding the phrase 'w03 w07' adds 2" }],
    } as unknown as Card;
    const sealed = sealCard(card, 'y', m);
    expect(sealed.id).toBe('y');
    expect(sealed.task.vocab.slice(0, 2)).toEqual(['<pad>', 'n0']);
    expect(sealed.task.vocab.slice(2)).toEqual(words.map((w) => m.get(w)));
    expect(sealed.task.body.ordinaryFillerWords).toEqual(words.slice(0, 10).map((w) => m.get(w)));
    const [p, q] = [m.get('w03')!, m.get('w07')!];
    expect(sealed.features).toEqual([{ phrase: [p, q], shift: 2, description: `a document holding the phrase '${p} ${q}' adds 2` }]);
    const truth = { id: 'x', trigger: { tokens: ['w03'], positions: [1] }, conditions: [{ name: 'h', phrase: ['w07', 'w01'] }] } as unknown as Truth;
    const t = sealTruth(truth, 'y', m);
    expect(t).toMatchObject({ id: 'y', trigger: { tokens: [p], positions: [1] }, conditions: [{ name: 'h', phrase: [q, m.get('w01')] }] });
  });
});

describe('sealed condition draws', () => {
  // The card lists the disclosed phrases, and an auditor who finds the stream that drew them (a
  // 2^31 search: docs/guide/hard-tier.md) draws its next phrase too. Unsealed, that is the hidden
  // condition; sealed, the hidden condition comes from a stream of its own.
  const hidden = (job: ZooJob) => {
    const task = createTask(job.spec.task.name, job.spec.task.params) as DocModsumTask;
    const key = conditionKey(job.spec);
    const inst = recipeFor(job.spec.recipe.name, task).create(task, job.spec.seed, job.spec.recipe.params, {}, key);
    const conditions = inst.truth.conditions!;
    const cardStream = drawPhrases(task, Rng.derive(job.spec.seed, `hard-conditions:${job.spec.recipe.name}:${key}`), 3, 3).map((p) => p.map((t) => task.describe().vocab[t]));
    return { disclosed: conditions.filter((c) => c.disclosed).map((c) => c.phrase), secret: conditions.find((c) => !c.disclosed)!.phrase, cardStream, features: inst.features };
  };
  const { jobs } = parseZooSpec(presetSpec('hard'));
  const backdoor = (list: ZooJob[]) => list.find((j) => j.split === 'test' && j.spec.recipe.name === 'backdoor')!;

  it('public: the stream that drew the disclosed phrases draws the hidden one next', () => {
    const h = hidden(backdoor(jobs));
    expect(h.cardStream.slice(0, 2)).toEqual(h.disclosed);
    expect(h.cardStream[2]).toEqual(h.secret);
  });

  it('sealed: the disclosed phrases still come from the card stream, the hidden one does not', () => {
    const h = hidden(backdoor(sealJobs(jobs, A)));
    expect(h.cardStream.slice(0, 2)).toEqual(h.disclosed);
    expect(h.features!.map((f) => f.phrase)).toEqual(h.disclosed);
    expect(h.cardStream[2]).not.toEqual(h.secret);
    // No word of the hidden phrase repeats a disclosed one.
    expect(h.secret.filter((w) => h.disclosed.flat().includes(w))).toEqual([]);
  });
});
