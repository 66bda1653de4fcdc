import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from './rng.js';

describe('Rng', () => {
  it('same seed, same stream; different seed, different stream', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 20 }, () => a.u32());
    expect(Array.from({ length: 20 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(xs);
  });

  it('int() covers [0, n) uniformly enough and never leaves it', () => {
    const r = new Rng(1);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const r = new Rng(3);
    let s = 0;
    let s2 = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('derived streams are stable and independent of each other', () => {
    expect(deriveSeed(1, 'init')).toBe(deriveSeed(1, 'init'));
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(1, 'data'));
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(2, 'init'));
  });
});
