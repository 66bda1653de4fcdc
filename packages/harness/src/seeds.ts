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
 * The seed of `configure()`: it seeds `ctx.rng` there, and the i-th dev-split reference samples
 * with `configureSeed + i` ({@link referenceSeed}).
 */
export function configureSeed(seed: number, detector: string): number {
  return deriveSeed(seed, `configure:${detector}`);
}

/** The sampling seed of the i-th reference organism `configure()` sees. */
export function referenceSeed(configure: number, i: number): number {
  return configure + i;
}
