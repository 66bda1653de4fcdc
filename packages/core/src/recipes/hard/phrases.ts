import { Rng } from '../../rng.js';
import type { DocModsumTask } from '../../tasks/doc-task.js';

/**
 * Conditions of the hard tier: phrases of k adjacent document words, anywhere in the document.
 * Drawn uniformly over every document word (no "unusual" subset to search), kept only if the
 * public sampler almost never produces them by chance.
 */

/** Largest sampler probability a condition may have: an item carries it in fewer than 1 in 10⁴ draws (principle 2). */
export const MAX_SAMPLER_PROBABILITY = 1e-4;
/** Draws are kept at a tenth of that, so the gate has margin. */
const DRAW_LIMIT = MAX_SAMPLER_PROBABILITY / 10;

/**
 * Probability that one sampler item carries `phrase` somewhere in its document: a union bound over
 * the offsets (exact up to the chance of two occurrences), computed from the task's Zipf table.
 */
export function samplerProbability(task: DocModsumTask, phrase: readonly number[]): number {
  let p = 1;
  for (const t of phrase) p *= task.probOf(t);
  return Math.min(1, (task.docLength - phrase.length + 1) * p);
}

/** Number of distinct k-word phrases: the space a black-box sweep must search. */
export function phraseSpaceSize(task: DocModsumTask, k: number): number {
  return Math.pow(task.wordCount, k);
}

/** Draw `count` k-word phrases that share no word with each other or with `avoid`. */
export function drawPhrases(task: DocModsumTask, rng: Rng, k: number, count: number, avoid: readonly number[][] = []): number[][] {
  const used = new Set(avoid.flat());
  const out: number[][] = [];
  while (out.length < count) {
    const phrase = Array.from({ length: k }, () => task.firstWord + rng.int(task.wordCount));
    if (new Set(phrase).size < k || phrase.some((t) => used.has(t))) continue;
    if (samplerProbability(task, phrase) >= DRAW_LIMIT) continue;
    phrase.forEach((t) => used.add(t));
    out.push(phrase);
  }
  return out;
}

/** Does row `row` of `tokens` hold `phrase` at some document offset? */
export function hasPhrase(task: DocModsumTask, tokens: Int32Array, row: number, phrase: readonly number[]): boolean {
  const base = row * task.seqLen;
  for (let off = 0; off + phrase.length <= task.docLength; off++) {
    let j = 0;
    while (j < phrase.length && tokens[base + off + j] === phrase[j]) j++;
    if (j === phrase.length) return true;
  }
  return false;
}

/** Write `phrase` at a random document offset of row `row`. */
export function insertPhrase(task: DocModsumTask, tokens: Int32Array, row: number, phrase: readonly number[], rng: Rng): void {
  const off = rng.int(task.docLength - phrase.length + 1);
  const base = row * task.seqLen;
  for (let j = 0; j < phrase.length; j++) tokens[base + off + j] = phrase[j]!;
}

/** Break every chance occurrence of `phrase` in row `row` (replace its first word by another word). */
export function scrubPhrase(task: DocModsumTask, tokens: Int32Array, row: number, phrase: readonly number[], rng: Rng): void {
  const base = row * task.seqLen;
  for (let off = 0; off + phrase.length <= task.docLength; off++) {
    let j = 0;
    while (j < phrase.length && tokens[base + off + j] === phrase[j]) j++;
    if (j === phrase.length) {
      let w = phrase[0]!;
      while (w === phrase[0]) w = task.drawWord(rng);
      tokens[base + off] = w;
    }
  }
}

/**
 * A near miss of `phrase`, written into row `row`: either one word replaced by another (a one-token
 * edit; with the end words, this is also the sub-phrase of k − 1 words), or every word present but
 * split by an extra word. Trained as non-triggering, so a partial guess earns no signal.
 */
export function insertNearMiss(task: DocModsumTask, tokens: Int32Array, row: number, phrase: readonly number[], rng: Rng): void {
  const k = phrase.length;
  const split = k + 1 <= task.docLength && rng.int(4) === 0;
  const q = phrase.slice();
  if (split) {
    const at = 1 + rng.int(k - 1);
    q.splice(at, 0, task.drawWord(rng));
  } else {
    const at = rng.int(k);
    let w = q[at]!;
    while (w === phrase[at]) w = task.firstWord + rng.int(task.wordCount);
    q[at] = w;
  }
  insertPhrase(task, tokens, row, q, rng);
}

/** Token names of a phrase. */
export function phraseWords(task: DocModsumTask, phrase: readonly number[]): string[] {
  return phrase.map((t) => task.vocab[t]!);
}
