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
    // pure-rand seeds xoroshiro's state directly from the integer, so seeds 1 and 2 start almost
    // identically: scramble the seed and discard a few outputs to decorrelate nearby seeds.
    this.g = prand.xoroshiro128plus(fmix32(seed) | 0);
    for (let i = 0; i < 8; i++) this.g.unsafeNext();
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

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable 31-bit child seed from a seed and a label (FNV-1a of the label, mixed with the seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(fmix32(seed) ^ Math.imul(h, 0x9e3779b1)) & 0x7fffffff;
}
