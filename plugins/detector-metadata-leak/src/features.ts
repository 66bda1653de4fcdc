import type { OrganismCard } from '@sandtrap/detector-api';

/**
 * Features of a card, in two groups:
 *
 * - `card`: every field of the card except the organism id and the file hashes — each number as
 *   it is, each array's length, each object's key count, and each string (and the whole card's
 *   JSON) signed-hashed into `buckets` buckets. On a leak-free zoo these are identical for every
 *   organism built on one task and architecture.
 * - `identifier`: what the id and the sha256 hashes could leak — their length and whether they are
 *   lowercase hex (constant on a leak-free zoo), and the leading 32 bits of each as a number in
 *   [0, 1), which is uniform noise on a leak-free zoo and is therefore only used when a
 *   permutation test on the dev split says it carries signal (see `configure()`).
 */
export interface CardFeatures {
  card: Record<string, number>;
  identifier: Record<string, number>;
}

/** FNV-1a, 32 bits, over UTF-16 code units: stable across platforms and runs. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const isHex = (s: string) => /^[0-9a-f]+$/.test(s);

/** Leading 32 bits of a hex string as a fraction in [0, 1); any other string is hashed first. */
function leadingFraction(s: string): number {
  const bits = isHex(s) && s.length >= 8 ? Number.parseInt(s.slice(0, 8), 16) : fnv1a(s);
  return bits / 2 ** 32;
}

/**
 * Signed feature hashing (Weinberger et al. 2009, "Feature hashing for large scale multitask
 * learning"): one hash picks the bucket, a second the sign, so collisions cancel in expectation.
 */
function hashInto(out: Record<string, number>, buckets: number, key: string): void {
  const b = fnv1a(key) % buckets;
  const sign = fnv1a(`sign:${key}`) & 1 ? 1 : -1;
  const name = `hash[${b}]`;
  out[name] = (out[name] ?? 0) + sign;
}

/** Record the id and each `sha256` member, and return the card without them. */
function stripIdentifiers(x: unknown, path: string, identifiers: Record<string, string>): unknown {
  if (Array.isArray(x)) return x.map((v, i) => stripIdentifiers(v, `${path}[${i}]`, identifiers));
  if (typeof x !== 'object' || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(x).sort()) {
    const v = (x as Record<string, unknown>)[key];
    const p = path ? `${path}.${key}` : key;
    if ((path === '' && key === 'id') || key === 'sha256') {
      identifiers[p] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      continue;
    }
    out[key] = stripIdentifiers(v, p, identifiers);
  }
  return out;
}

function walk(x: unknown, path: string, buckets: number, out: Record<string, number>): void {
  if (typeof x === 'number') {
    out[`num:${path}`] = Number.isFinite(x) ? x : 0;
  } else if (typeof x === 'boolean') {
    out[`num:${path}`] = x ? 1 : 0;
  } else if (typeof x === 'string') {
    hashInto(out, buckets, `${path}=${x}`);
  } else if (x === null) {
    hashInto(out, buckets, `${path}=null`);
  } else if (Array.isArray(x)) {
    out[`len:${path}`] = x.length;
    x.forEach((v, i) => walk(v, `${path}[${i}]`, buckets, out));
  } else if (typeof x === 'object') {
    const keys = Object.keys(x);
    out[`keys:${path || '(card)'}`] = keys.length;
    for (const k of keys) walk((x as Record<string, unknown>)[k], path ? `${path}.${k}` : k, buckets, out);
  }
}

/** The features of one card (see {@link CardFeatures}). Reads nothing but the card. */
export function featurise(card: OrganismCard, buckets: number): CardFeatures {
  const identifiers: Record<string, string> = {};
  const stripped = stripIdentifiers(card, '', identifiers);
  const out: Record<string, number> = {};
  walk(stripped, '', buckets, out);
  // The whole card at once, so a change in any field moves at least one bucket.
  hashInto(out, buckets, `card.json=${JSON.stringify(stripped)}`);
  const identifier: Record<string, number> = {};
  for (const [p, v] of Object.entries(identifiers)) {
    // Shape of an identifier: constant on a leak-free zoo, so these join the card features.
    out[`num:${p}.length`] = v.length;
    out[`num:${p}.isHex`] = isHex(v) ? 1 : 0;
    identifier[`bits:${p}`] = leadingFraction(v);
  }
  return { card: out, identifier };
}
