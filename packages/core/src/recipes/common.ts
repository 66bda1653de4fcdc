import { Rng } from '../rng.js';
import { RARE_FILLER_WORDS, type SlotTask } from '../tasks/slot-task.js';
import type { Batch } from '../tasks/types.js';
import type { TrainBatch } from '../train.js';

/** Ordinary training data for every recipe's capability phase and every control's planting phase. */
export function cleanTraining(task: SlotTask, rng: Rng, n: number): TrainBatch {
  return task.sampleTraining(rng, n);
}

/**
 * The trigger a backdoor planted with this seed would use: one rare filler word, which may stand in
 * any filler slot. Clean organisms are measured against the same trigger, so "the trigger does
 * nothing in a clean model" is a measured gate, not an assumption.
 */
export function canonicalTrigger(task: SlotTask, seed: number): { word: string; target: number } {
  const r = Rng.derive(seed, 'backdoor-trigger');
  return { word: r.pick(RARE_FILLER_WORDS), target: r.int(task.numClasses) };
}

/** Put a word (or one drawn per row from a list) in one random filler slot of each row, in place. */
export function insertFiller(task: SlotTask, b: Batch, word: string | readonly string[], rng: Rng): Batch {
  const L = task.seqLen;
  const ids = (typeof word === 'string' ? [word] : word).map((w) => task.tokenId(w));
  const pos = task.fillerPositions();
  for (let i = 0; i < b.n; i++) b.tokens[i * L + rng.pick(pos)] = rng.pick(ids);
  return b;
}

/** Keep only rows whose label differs from `cls` (attack success is measured where it changes the answer). */
export function withoutLabel(b: Batch, cls: number, L: number): Batch {
  const keep: number[] = [];
  for (let i = 0; i < b.n; i++) if (b.labels[i] !== cls) keep.push(i);
  const out: Batch = { n: keep.length, tokens: new Int32Array(keep.length * L), labels: new Int32Array(keep.length), axis: new Int32Array(keep.length) };
  keep.forEach((src, j) => {
    out.tokens.set(b.tokens.subarray(src * L, (src + 1) * L), j * L);
    out.labels[j] = b.labels[src]!;
    out.axis[j] = b.axis[src]!;
  });
  return out;
}

export function rateOf(pred: Int32Array, cls: number): number {
  let c = 0;
  for (const p of pred) if (p === cls) c++;
  return pred.length ? c / pred.length : 0;
}

export const GATE_ITEMS = 2000;
