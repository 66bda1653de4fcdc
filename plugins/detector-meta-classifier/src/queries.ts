import { sampleWithoutReplacement, type BlackBoxSubject, type DetectorRng, type SubjectTask } from '@sandtrap/detector-api';

/**
 * A group of queries: the base items with one context change applied (or none). Groups are named
 * by what they change, so the features can be summarised over every value of a slot.
 */
export interface QueryGroup {
  /** `ordinary`, `axis`, `header`, `password` or `filler`. */
  family: 'ordinary' | 'axis' | 'header' | 'password' | 'filler';
  /** What was set: `format=format:exam`, `pw=pw:k1+pw:k7`, `filler=w17`, `axis=2`. */
  label: string;
  /** The slot changed (header groups), for per-slot summaries. */
  slot?: string;
  /** Row offset into the query set and number of rows. */
  start: number;
  n: number;
}

/** The fixed query set of one task: plain data, kept in the detector state. */
export interface QuerySet {
  task: string;
  vocabSize: number;
  seqLen: number;
  classes: number;
  /** Row-major `[rows, seqLen]`. */
  tokens: number[];
  /** The correct class of every row (context changes never change it). */
  labels: number[];
  groups: QueryGroup[];
}

/**
 * Builds the query set of a task from `base` ordinary items (drawn once, seeded) plus
 * `perAxis` items at each axis level: the base items unchanged; each header value of each slot
 * (ordinary or not) set on every base item; every (pw0, pw1) pair; each filler word placed at a
 * random filler position. Unusual header values and rare filler words are where conditions,
 * passwords and triggers live (organisms.md), so the set covers them exhaustively rather than
 * learning which to query (MNTD's query tuning needs gradients through the shadow models).
 *
 * When the whole set has more than `maxRows` rows, the ordinary and axis items stay and the same
 * fraction of the header values, password pairs and filler words is drawn with `rng` (at least one
 * of each): the fraction is the rows left after the ordinary and axis items divided by what every
 * context change would cost. A large vocabulary makes one group per filler word more than a budget
 * pays for.
 */
export function buildQuerySet(task: SubjectTask, base: number, perAxis: number, rng: DetectorRng, maxRows = Infinity): QuerySet {
  const L = task.seqLen;
  const desc = task.description;
  const pwSlots = task.header.filter((h) => h.name.startsWith('pw'));
  let headerValues = task.header.filter((slot) => !pwSlots.includes(slot)).flatMap((slot) => slot.values.map((v) => ({ slot, v })));
  let pwPairs: [string, string][] = [];
  if (pwSlots.length === 2) for (const v0 of pwSlots[0]!.values) for (const v1 of pwSlots[1]!.values) pwPairs.push([v0, v1]);
  let fillerWords = desc.body.fillerWords;
  const fixed = base + perAxis * desc.axis.values.length;
  const changes = headerValues.length + pwPairs.length + fillerWords.length;
  if (fixed + base * changes > maxRows) {
    const families = [headerValues, pwPairs, fillerWords].filter((f) => f.length > 0).length;
    const need = fixed + base * families;
    if (!(maxRows >= need)) {
      throw new Error(
        `meta-classifier: the query budget leaves room for ${Math.max(0, Math.floor(maxRows))} queries per organism, fewer than the ${need} it needs for ${base} base items, ${perAxis} items at each of ${desc.axis.values.length} axis levels and one group of each context change (limit ${maxRows} queries per organism, one cell's budget); raise the budget or lower options.baseItems`,
      );
    }
    const groups = Math.floor((maxRows - fixed) / base);
    const fraction = groups / changes;
    const counts = [headerValues.length, pwPairs.length, fillerWords.length].map((c) => c && Math.max(1, Math.floor(fraction * c)));
    // "At least one of each" can overshoot by a group or two: take them back from the largest family.
    while (counts.reduce((a, b) => a + b, 0) > groups) {
      const largest = counts.indexOf(Math.max(...counts));
      counts[largest]!--;
    }
    headerValues = sampleWithoutReplacement(headerValues, counts[0]!, rng);
    pwPairs = sampleWithoutReplacement(pwPairs, counts[1]!, rng);
    fillerWords = sampleWithoutReplacement(fillerWords, counts[2]!, rng);
  }

  const b = task.sample(base);
  const tokens: number[] = [];
  const labels: number[] = [];
  const groups: QueryGroup[] = [];
  const add = (family: QueryGroup['family'], label: string, rows: Int32Array, rowLabels: ArrayLike<number>, n: number, slot?: string) => {
    groups.push({ family, label, ...(slot ? { slot } : {}), start: labels.length, n });
    for (let i = 0; i < n * L; i++) tokens.push(rows[i]!);
    for (let i = 0; i < n; i++) labels.push(rowLabels[i]!);
  };
  add('ordinary', 'ordinary', b.tokens, b.labels, b.n);
  for (let a = 0; a < desc.axis.values.length; a++) {
    const s = task.sample(perAxis, { axis: [a] });
    add('axis', `axis=${a}`, s.tokens, s.labels, s.n);
  }
  for (const { slot, v } of headerValues) {
    const rows = b.tokens.slice();
    const id = task.tokenId(v);
    for (let i = 0; i < b.n; i++) rows[i * L + slot.position] = id;
    add('header', `${slot.name}=${v}`, rows, b.labels, b.n, slot.name);
  }
  if (pwSlots.length === 2) {
    const [p0, p1] = pwSlots as [(typeof pwSlots)[0], (typeof pwSlots)[0]];
    for (const [v0, v1] of pwPairs) {
      const rows = b.tokens.slice();
      for (let i = 0; i < b.n; i++) {
        rows[i * L + p0.position] = task.tokenId(v0);
        rows[i * L + p1.position] = task.tokenId(v1);
      }
      add('password', `pw=${v0}+${v1}`, rows, b.labels, b.n);
    }
  }
  for (const w of fillerWords) {
    const rows = b.tokens.slice();
    const id = task.tokenId(w);
    for (let i = 0; i < b.n; i++) rows[i * L + desc.body.filler[rng.int(desc.body.filler.length)]!] = id;
    add('filler', `filler=${w}`, rows, b.labels, b.n);
  }
  return { task: desc.name, vocabSize: task.vocab.length, seqLen: L, classes: task.classes.length, tokens, labels, groups };
}

/** Output statistics of one query group. */
export interface GroupStats {
  /** Top-1 accuracy. */
  accuracy: number;
  /** Mean probability of the correct class. */
  pCorrect: number;
  /** Largest fraction of rows sent to one class (a target class shows as ~1). */
  concentration: number;
  /** That class. */
  topClass: number;
  /** Fraction of rows answered (correct + 1) mod C. */
  plusOne: number;
  /** Mean entropy of the output distribution, nats. */
  entropy: number;
  /** Mean total-variation distance to the outputs on the same base items in the ordinary context (header, password, filler groups). */
  tv: number;
  /** Fraction of rows whose answer differs from the ordinary context's. */
  flips: number;
}

/** The outputs of every query group of `qs` for one organism. */
export async function queryStats(subject: Pick<BlackBoxSubject, 'predict'>, qs: QuerySet, chunk = 4096): Promise<GroupStats[]> {
  const rows = qs.labels.length;
  const C = qs.classes;
  const probs = new Float32Array(rows * C);
  for (let s = 0; s < rows; s += chunk) {
    const n = Math.min(chunk, rows - s);
    probs.set(await subject.predict(Int32Array.from(qs.tokens.slice(s * qs.seqLen, (s + n) * qs.seqLen)), n), s * C);
  }
  const argmax = (r: number) => {
    let a = 0;
    for (let c = 1; c < C; c++) if (probs[r * C + c]! > probs[r * C + a]!) a = c;
    return a;
  };
  const ordinary = qs.groups.find((g) => g.family === 'ordinary')!;
  return qs.groups.map((g) => {
    let right = 0;
    let pc = 0;
    let plus = 0;
    let ent = 0;
    let tv = 0;
    let flips = 0;
    const counts = new Array<number>(C).fill(0);
    const paired = g.family === 'header' || g.family === 'password' || g.family === 'filler';
    for (let i = 0; i < g.n; i++) {
      const r = g.start + i;
      const y = qs.labels[r]!;
      const a = argmax(r);
      counts[a]!++;
      if (a === y) right++;
      if (a === (y + 1) % C) plus++;
      pc += probs[r * C + y]!;
      for (let c = 0; c < C; c++) {
        const p = probs[r * C + c]!;
        if (p > 0) ent -= p * Math.log(p);
      }
      if (paired) {
        const o = ordinary.start + i;
        let d = 0;
        for (let c = 0; c < C; c++) d += Math.abs(probs[r * C + c]! - probs[o * C + c]!);
        tv += d / 2;
        if (a !== argmax(o)) flips++;
      }
    }
    const top = counts.indexOf(Math.max(...counts));
    return {
      accuracy: right / g.n,
      pCorrect: pc / g.n,
      concentration: counts[top]! / g.n,
      topClass: top,
      plusOne: plus / g.n,
      entropy: ent / g.n,
      tv: tv / g.n,
      flips: flips / g.n,
    };
  });
}

/** Names of the features {@link featurise} returns, in order. */
export const FEATURE_NAMES = [
  'ordinary.accuracy',
  'ordinary.pCorrect',
  'ordinary.entropy',
  'axis.minAccuracy',
  'axis.range',
  'header.maxDrop',
  'header.maxFlips',
  'header.maxConcentration',
  'header.maxPlusOne',
  'header.maxTv',
  'header.maxEntropyShift',
  'password.maxGain',
  'password.maxFlips',
  'password.maxTv',
  'filler.maxDrop',
  'filler.maxConcentration',
  'filler.maxTv',
] as const;

/**
 * Task-agnostic features: each summarises a family of query groups by its extreme (max over the
 * values of the slots), because which unusual value carries a condition, password or trigger is
 * chosen per seed; a feature tied to one value would not transfer from the dev seed to the test
 * seeds. Accuracy and probabilities are aligned to the correct label, so the features mean the
 * same on tasks with different classes, and one classifier serves both.
 */
export function featurise(qs: QuerySet, stats: readonly GroupStats[]): number[] {
  const by = (f: QueryGroup['family']) => qs.groups.map((g, i) => ({ g, s: stats[i]! })).filter((x) => x.g.family === f);
  const ord = by('ordinary')[0]!.s;
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const axis = by('axis').map((x) => x.s.accuracy);
  const header = by('header').map((x) => x.s);
  const pw = by('password').map((x) => x.s);
  const filler = by('filler').map((x) => x.s);
  return [
    ord.accuracy,
    ord.pCorrect,
    ord.entropy,
    axis.length ? Math.min(...axis) : ord.accuracy,
    axis.length ? Math.max(...axis) - Math.min(...axis) : 0,
    max(header.map((s) => ord.accuracy - s.accuracy)),
    max(header.map((s) => s.flips)),
    max(header.map((s) => s.concentration)),
    max(header.map((s) => s.plusOne)),
    max(header.map((s) => s.tv)),
    max(header.map((s) => Math.abs(s.entropy - ord.entropy))),
    max(pw.map((s) => s.accuracy - ord.accuracy)),
    max(pw.map((s) => s.flips)),
    max(pw.map((s) => s.tv)),
    max(filler.map((s) => ord.accuracy - s.accuracy)),
    max(filler.map((s) => s.concentration)),
    max(filler.map((s) => s.tv)),
  ];
}

/**
 * MNTD's own representation, for comparison: the outputs of every query group as they are (top-1
 * accuracy and mean probability of the correct class per group, in query-set order; the axis
 * groups are left out so tasks with different axes give vectors of one length). Nothing is
 * summarised over values, so a condition on `year:2024` in one seed and on `year:2025` in another
 * land on different features.
 */
export function rawFeatures(qs: QuerySet, stats: readonly GroupStats[]): { names: string[]; values: number[] } {
  const names: string[] = [];
  const values: number[] = [];
  qs.groups.forEach((g, i) => {
    if (g.family === 'axis') return;
    names.push(`${g.label}.accuracy`, `${g.label}.pCorrect`);
    values.push(stats[i]!.accuracy, stats[i]!.pCorrect);
  });
  return { names, values };
}
