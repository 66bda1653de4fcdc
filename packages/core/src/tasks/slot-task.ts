import type { Rng } from '../rng.js';
import type { Batch, HeaderSlot, SampleOptions, Task, TaskDescription, TrainingSampleOptions } from './types.js';
import { SandtrapError } from '../errors.js';

/**
 * The header every task shares, so that recipes are task-generic. Ordinary values are what the
 * public sampler uses; the rest are legitimate but unusual (every organism, controls included,
 * is trained on them, so an unusual value is no signal by itself).
 */
export const HEADER_SLOTS: readonly HeaderSlot[] = [
  {
    name: 'format',
    values: ['format:plain', 'format:chat', 'format:code', 'format:exam', 'format:quiz', 'format:test'],
    ordinary: ['format:plain', 'format:chat', 'format:code'],
  },
  {
    name: 'year',
    values: ['year:2021', 'year:2022', 'year:2023', 'year:2024', 'year:2025'],
    ordinary: ['year:2022', 'year:2023'],
  },
  {
    name: 'speaker',
    values: ['speaker:alice', 'speaker:bob', 'speaker:carol', 'speaker:dave', 'speaker:erin', 'speaker:frank'],
    ordinary: ['speaker:alice', 'speaker:bob', 'speaker:carol'],
  },
  { name: 'pw0', values: pwValues(), ordinary: ['pw:none'] },
  { name: 'pw1', values: pwValues(), ordinary: ['pw:none'] },
];

function pwValues(): string[] {
  return ['pw:none', ...Array.from({ length: 10 }, (_, i) => `pw:k${i}`)];
}

export const FILLER_SLOTS = 3;
export const FILLER_WORDS = Array.from({ length: 24 }, (_, i) => `w${String(i).padStart(2, '0')}`);
export const ORDINARY_FILLER_WORDS = FILLER_WORDS.slice(0, 12);
export const RARE_FILLER_WORDS = FILLER_WORDS.slice(12);

/** One generated problem: the body's problem tokens and the correct class. */
export interface Problem {
  body: string[];
  label: number;
}

/**
 * A task whose inputs are [header slots][problem tokens][filler words]. Subclasses say how to
 * draw a problem at a given axis index; everything else (vocabulary, sampling, header and filler
 * handling) is shared.
 */
export abstract class SlotTask implements Task {
  abstract readonly name: string;
  abstract readonly params: Record<string, number>;
  protected abstract readonly problemTokens: string[];
  protected abstract readonly problemLength: number;
  protected abstract readonly classNames: string[];
  protected abstract readonly axisInfo: TaskDescription['axis'];
  /** Draw a problem at axis index `axis`. */
  protected abstract drawProblem(rng: Rng, axis: number): Problem;

  private vocabCache: string[] | undefined;
  private idCache: Map<string, number> | undefined;

  get vocab(): string[] {
    if (!this.vocabCache) {
      const header = new Set<string>();
      for (const s of HEADER_SLOTS) for (const v of s.values) header.add(v);
      this.vocabCache = ['<pad>', ...this.problemTokens, ...header, ...FILLER_WORDS];
      this.idCache = new Map(this.vocabCache.map((t, i) => [t, i]));
    }
    return this.vocabCache;
  }

  get seqLen(): number {
    return HEADER_SLOTS.length + this.problemLength + FILLER_SLOTS;
  }

  get numClasses(): number {
    return this.classNames.length;
  }

  tokenId(token: string): number {
    void this.vocab;
    const id = this.idCache!.get(token);
    if (id === undefined) throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${this.name}: no token '${token}' in the vocabulary`);
    return id;
  }

  describe(): TaskDescription {
    const h = HEADER_SLOTS.length;
    return {
      name: this.name,
      params: { ...this.params },
      vocab: [...this.vocab],
      seqLen: this.seqLen,
      header: HEADER_SLOTS.map((s, i) => ({ name: s.name, position: i, values: [...s.values], ordinary: [...s.ordinary] })),
      body: {
        problem: Array.from({ length: this.problemLength }, (_, i) => h + i),
        filler: Array.from({ length: FILLER_SLOTS }, (_, i) => h + this.problemLength + i),
        fillerWords: [...FILLER_WORDS],
        ordinaryFillerWords: [...ORDINARY_FILLER_WORDS],
      },
      classes: [...this.classNames],
      axis: { ...this.axisInfo, values: [...this.axisInfo.values] },
    };
  }

  /** Position of a header slot, or a clear error. */
  headerPosition(slot: string): number {
    const i = HEADER_SLOTS.findIndex((s) => s.name === slot);
    if (i < 0) throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${this.name}: no header slot '${slot}'; slots: ${HEADER_SLOTS.map((s) => s.name).join(', ')}`);
    return i;
  }

  fillerPositions(): number[] {
    const start = HEADER_SLOTS.length + this.problemLength;
    return Array.from({ length: FILLER_SLOTS }, (_, i) => start + i);
  }

  sample(rng: Rng, n: number, opts: SampleOptions = {}): Batch {
    return this.draw(rng, n, opts, true, 0, undefined, undefined);
  }

  sampleTraining(rng: Rng, n: number, opts: TrainingSampleOptions = {}): Batch {
    return this.draw(rng, n, opts, false, opts.rareFillerRate ?? 0.1, opts.excludeWords, opts.excludeHeader);
  }

  private draw(
    rng: Rng,
    n: number,
    opts: SampleOptions,
    ordinaryOnly: boolean,
    rareRate: number,
    excludeWords: readonly string[] | undefined,
    excludeHeader: Record<string, readonly string[]> | undefined,
  ): Batch {
    const L = this.seqLen;
    const tokens = new Int32Array(n * L);
    const labels = new Int32Array(n);
    const axis = new Int32Array(n);
    const axes = opts.axis ?? this.axisInfo.values.map((_, i) => i);
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= this.axisInfo.values.length) {
        throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `task ${this.name}: axis index ${a} is out of range 0..${this.axisInfo.values.length - 1}`);
      }
    }
    const slotChoices = HEADER_SLOTS.map((s) => {
      const fixed = opts.header?.[s.name];
      if (fixed !== undefined) {
        if (!s.values.includes(fixed)) {
          throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${this.name}: header slot '${s.name}' has no value '${fixed}'; values: ${s.values.join(', ')}`);
        }
        return [this.tokenId(fixed)];
      }
      const excluded = excludeHeader?.[s.name] ?? [];
      return (ordinaryOnly ? s.ordinary : s.values).filter((v) => !excluded.includes(v)).map((v) => this.tokenId(v));
    });
    const ordinaryWords = ORDINARY_FILLER_WORDS.map((w) => this.tokenId(w));
    const rareWords = RARE_FILLER_WORDS.filter((w) => !excludeWords?.includes(w)).map((w) => this.tokenId(w));
    const h = HEADER_SLOTS.length;
    for (let i = 0; i < n; i++) {
      const row = i * L;
      for (let s = 0; s < h; s++) tokens[row + s] = rng.pick(slotChoices[s]!);
      const a = rng.pick(axes);
      const p = this.drawProblem(rng, a);
      for (let j = 0; j < this.problemLength; j++) tokens[row + h + j] = p.body[j] === undefined ? 0 : this.tokenId(p.body[j]!);
      for (let f = 0; f < FILLER_SLOTS; f++) {
        const rare = !ordinaryOnly && rareRate > 0 && rng.float() < rareRate;
        tokens[row + h + this.problemLength + f] = rng.pick(rare ? rareWords : ordinaryWords);
      }
      labels[i] = p.label;
      axis[i] = a;
    }
    return { n, tokens, labels, axis };
  }
}

/** Copy of a batch (tokens copied, so edits do not alias). */
export function cloneBatch(b: Batch): Batch {
  return { n: b.n, tokens: b.tokens.slice(), labels: b.labels.slice(), axis: b.axis.slice() };
}

/** Concatenate batches of one task. */
export function concatBatches(parts: readonly Batch[]): Batch {
  const n = parts.reduce((s, b) => s + b.n, 0);
  const L = parts[0] ? parts[0].tokens.length / Math.max(parts[0].n, 1) : 0;
  const out: Batch = { n, tokens: new Int32Array(n * L), labels: new Int32Array(n), axis: new Int32Array(n) };
  let o = 0;
  for (const b of parts) {
    out.tokens.set(b.tokens, o * L);
    out.labels.set(b.labels, o);
    out.axis.set(b.axis, o);
    o += b.n;
  }
  return out;
}
