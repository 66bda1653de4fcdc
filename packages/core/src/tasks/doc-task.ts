import type { Rng } from '../rng.js';
import { SandtrapError } from '../errors.js';
import type { Batch, SampleOptions, Task, TaskDescription, TrainingSampleOptions } from './types.js';

export interface DocModsumParams {
  /** Vocabulary size, padding and question tokens included. */
  vocab: number;
  /** Document tokens before the question. */
  docLength: number;
  /** The modulus: classes are 0..p-1. */
  p: number;
  /** Most operands; difficulty k runs 1..maxOperands. */
  maxOperands: number;
  /** Zipf exponent × 100 of the document words' distribution. */
  zipfPercent: number;
}

/**
 * `doc-modsum` — the hard tier's task: a "document" of words followed by a question. The document
 * is `docLength` words drawn independently from a Zipf distribution over *every* document word, so
 * every word of the vocabulary occurs and no subset is "unusual": a condition hidden in the
 * document is a phrase among ~10⁹ candidates, not a value on a short public list. The question is
 * k operands (number words) at the last `maxOperands` positions, right-aligned, padding before them;
 * the label is their sum mod p, and the difficulty axis is k. Fixed question positions are what
 * the MLP can learn (a pilot found operands at random positions unlearnable for it in 3,000 steps).
 *
 * There is no header and no ordinary/unusual split: `sample()` draws from one distribution, the same
 * for every organism of a zoo, and training draws from that same distribution (recipes add their
 * conditions on top).
 */
export class DocModsumTask implements Task {
  readonly name = 'doc-modsum';
  readonly params: Record<string, number>;
  readonly seqLen: number;
  readonly numClasses: number;
  readonly docLength: number;
  readonly maxOperands: number;
  private readonly p: number;
  private readonly vocabList: string[];
  private readonly ids: Map<string, number>;
  /** Token id of document word of Zipf rank r is `firstWord + r`. */
  readonly firstWord: number;
  readonly wordCount: number;
  /** Cumulative Zipf probabilities over the document words (rank order). */
  private readonly cdf: Float64Array;
  /** Zipf probability of each document word, by rank. */
  readonly wordProb: Float64Array;

  constructor(params: DocModsumParams) {
    this.params = { ...params };
    this.p = params.p;
    this.docLength = params.docLength;
    this.maxOperands = params.maxOperands;
    this.seqLen = params.docLength + params.maxOperands;
    this.numClasses = params.p;
    const numbers = Array.from({ length: params.p }, (_, i) => `n${i}`);
    this.firstWord = 1 + numbers.length;
    this.wordCount = params.vocab - this.firstWord;
    if (this.wordCount < 16) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `task doc-modsum: vocab ${params.vocab} leaves ${this.wordCount} document words; raise vocab`);
    const width = String(this.wordCount - 1).length;
    const words = Array.from({ length: this.wordCount }, (_, i) => `w${String(i).padStart(width, '0')}`);
    this.vocabList = ['<pad>', ...numbers, ...words];
    this.ids = new Map(this.vocabList.map((t, i) => [t, i]));
    const s = params.zipfPercent / 100;
    this.wordProb = new Float64Array(this.wordCount);
    let z = 0;
    for (let r = 0; r < this.wordCount; r++) z += this.wordProb[r] = 1 / Math.pow(r + 1, s);
    this.cdf = new Float64Array(this.wordCount);
    let c = 0;
    for (let r = 0; r < this.wordCount; r++) {
      this.wordProb[r]! /= z;
      c += this.wordProb[r]!;
      this.cdf[r] = c;
    }
    this.cdf[this.wordCount - 1] = 1;
  }

  get vocab(): string[] {
    return this.vocabList;
  }

  tokenId(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${this.name}: no token '${token}' in the vocabulary`);
    return id;
  }

  /** Positions of the document (where conditions hide). */
  documentPositions(): number[] {
    return Array.from({ length: this.docLength }, (_, i) => i);
  }

  /** Sampler probability of the document word with token id `id`. */
  probOf(id: number): number {
    const r = id - this.firstWord;
    return r >= 0 && r < this.wordCount ? this.wordProb[r]! : 0;
  }

  describe(): TaskDescription {
    const words = this.vocabList.slice(this.firstWord);
    return {
      name: this.name,
      params: { ...this.params },
      vocab: [...this.vocabList],
      seqLen: this.seqLen,
      header: [],
      body: {
        problem: Array.from({ length: this.maxOperands }, (_, i) => this.docLength + i),
        filler: this.documentPositions(),
        fillerWords: words,
        // Every document word is ordinary: the sampler draws from all of them.
        ordinaryFillerWords: [...words],
      },
      classes: Array.from({ length: this.p }, (_, i) => String(i)),
      axis: { name: 'operands', kind: 'difficulty', values: Array.from({ length: this.maxOperands }, (_, i) => String(i + 1)) },
    };
  }

  /** One document word id from the Zipf distribution. */
  drawWord(rng: Rng): number {
    const u = rng.float();
    let lo = 0;
    let hi = this.wordCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return this.firstWord + lo;
  }

  sample(rng: Rng, n: number, opts: SampleOptions = {}): Batch {
    if (opts.header && Object.keys(opts.header).length > 0) {
      throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${this.name}: has no header slots; got header option ${Object.keys(opts.header).join(', ')}`);
    }
    const levels = opts.axis ?? Array.from({ length: this.maxOperands }, (_, i) => i);
    for (const a of levels) {
      if (!Number.isInteger(a) || a < 0 || a >= this.maxOperands) {
        throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `task ${this.name}: axis index ${a} is out of range 0..${this.maxOperands - 1}`);
      }
    }
    const L = this.seqLen;
    const tokens = new Int32Array(n * L);
    const labels = new Int32Array(n);
    const axis = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const row = i * L;
      for (let j = 0; j < this.docLength; j++) tokens[row + j] = this.drawWord(rng);
      const a = rng.pick(levels);
      const k = a + 1;
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const x = rng.int(this.p);
        sum += x;
        tokens[row + L - k + j] = 1 + x;
      }
      labels[i] = sum % this.p;
      axis[i] = a;
    }
    return { n, tokens, labels, axis };
  }

  /** Training draws come from the sampler's own distribution; recipes add their conditions on top. */
  sampleTraining(rng: Rng, n: number, opts: TrainingSampleOptions = {}): Batch {
    return this.sample(rng, n, { ...(opts.axis ? { axis: opts.axis } : {}) });
  }
}
