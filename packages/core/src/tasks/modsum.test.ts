import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { createTask, HEADER_SLOTS, ORDINARY_FILLER_WORDS } from './index.js';

const task = createTask('modsum', { p: 7, maxOperands: 3 });
const d = task.describe();

describe('modsum', () => {
  it('labels are the sum of the operands mod p, and difficulty is the operand count', () => {
    const b = task.sample(new Rng(5), 500);
    for (let i = 0; i < b.n; i++) {
      const ops = d.body.problem.map((pos) => d.vocab[b.tokens[i * d.seqLen + pos]!]!).filter((t) => t !== '<pad>');
      expect(ops.length).toBe(b.axis[i]! + 1);
      const sum = ops.reduce((s, t) => s + Number(t.slice(1)), 0);
      expect(b.labels[i]).toBe(sum % 7);
    }
  });

  it('the public sampler uses only ordinary header values and filler words', () => {
    const b = task.sample(new Rng(6), 2000);
    const ordinaryWords = new Set(ORDINARY_FILLER_WORDS);
    for (let i = 0; i < b.n; i++) {
      HEADER_SLOTS.forEach((s, pos) => expect(s.ordinary).toContain(d.vocab[b.tokens[i * d.seqLen + pos]!]));
      for (const pos of d.body.filler) expect(ordinaryWords.has(d.vocab[b.tokens[i * d.seqLen + pos]!]!)).toBe(true);
    }
  });

  it('training data covers every header value and rare words', () => {
    const b = task.sampleTraining(new Rng(7), 4000);
    const seen = new Set<string>();
    for (let i = 0; i < b.tokens.length; i++) seen.add(d.vocab[b.tokens[i]!]!);
    for (const s of HEADER_SLOTS) for (const v of s.values) expect(seen).toContain(v);
    for (const w of d.body.fillerWords) expect(seen).toContain(w);
  });

  it('header overrides accept any public value and reject unknown ones', () => {
    const b = task.sample(new Rng(8), 50, { header: { year: 'year:2025' } });
    for (let i = 0; i < b.n; i++) expect(d.vocab[b.tokens[i * d.seqLen + 1]!]).toBe('year:2025');
    expect(() => task.sample(new Rng(8), 1, { header: { year: 'year:1999' } })).toThrow(/header slot 'year' has no value 'year:1999'/);
  });

  it('the same seed gives the same data', () => {
    expect(task.sample(new Rng(9), 100).tokens).toEqual(task.sample(new Rng(9), 100).tokens);
  });

  it('rejects unknown tasks and bad parameters with the valid choices', () => {
    expect(() => createTask('sums')).toThrow(/unknown task 'sums'; valid tasks: modsum/);
    expect(() => createTask('modsum', { p: 1 })).toThrow(/parameter p must be an integer in \[2, 64\], got 1/);
    expect(() => createTask('modsum', { q: 3 })).toThrow(/unknown parameter 'q'/);
    // An unknown name and an out-of-range value are different mistakes with different fixes.
    expect(() => createTask('modsum', { q: 3 })).toThrow(expect.objectContaining({ code: 'SANDTRAP_UNKNOWN_NAME' }));
    expect(() => createTask('modsum', { p: 1 })).toThrow(expect.objectContaining({ code: 'SANDTRAP_BAD_ARGUMENT' }));
    expect(() => task.tokenId('no-such-token')).toThrow(expect.objectContaining({ code: 'SANDTRAP_UNKNOWN_NAME' }));
  });
});
