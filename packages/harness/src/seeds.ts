import { deriveSeed } from '@sandtrap/core';

/**
 * The seeds of a run. Each is a function of the run seed, the detector and the organism only —
 * not of cell order, worker, shard, or whether the scoreboard or the tester runs the cell — so a
 * sharded or resumed run draws exactly what an uninterrupted one does, and a detector draws in
 * the tester exactly what it draws on the scoreboard.
 */

/** The seed of one cell: it seeds the subject's sampling (`subject.task.sample`). */
export function cellSeed(seed: number, detector: string, organism: string): number {
  return deriveSeed(seed, `cell:${detector}:${organism}`);
}

/** The seed of `ctx.rng` in `detect()`: the cell seed, decorrelated from the subject's sampling stream. */
export function detectSeed(cell: number): number {
  return cell ^ 0x9e3779b1;
}

/**
 * The seed of `configure()`: it seeds `ctx.rng` there, and each dev-split reference samples with
 * a seed derived from it and the reference's id ({@link referenceSeed}).
 */
export function configureSeed(seed: number, detector: string): number {
  return deriveSeed(seed, `configure:${detector}`);
}

/**
 * The sampling seed of a reference organism `configure()` sees: a function of the organism's id,
 * not of its place in the list, so a reference draws the same items whichever other references
 * are there (leave-one-kind-out removes some: the others must not change what they see).
 */
export function referenceSeed(configure: number, organism: string): number {
  return deriveSeed(configure, `reference:${organism}`);
}
