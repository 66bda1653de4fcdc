import prand from 'pure-rand';

/**
 * A seeded random stream. Every random choice sandtrap makes goes through one of these, so the
 * same seed gives the same data, the same initial weights and therefore the same trained weights.
 * xoroshiro128+ from pure-rand: fast, well tested, and its state is a plain value we can fork.
 */
export class Rng {
  private readonly g: prand.RandomGenerator;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    this.g = prand.xoroshiro128plus(seed | 0);
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    return this.g.unsafeNext() >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of mantissa. */
  float(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (n <= 0) throw new RangeError(`int(n) needs n > 0, got ${n}`);
    return prand.unsafeUniformIntDistribution(0, n - 1, this.g);
  }

  /** Standard normal (Box–Muller, the second value cached). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('pick() from an empty list');
    return xs[this.int(xs.length)] as T;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = t;
    }
    return xs;
  }

  /**
   * An independent stream derived from this seed and a label, so that adding a random choice in
   * one place (say, data sampling) does not shift every other stream (say, weight init).
   */
  static derive(seed: number, label: string): Rng {
    return new Rng(deriveSeed(seed, label));
  }
}

/** FNV-1a over the label mixed with the seed: a stable 31-bit child seed. */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const s = `${seed}:${label}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0x7fffffff;
}
