import { deriveSeed } from '@sandtrap/core';

/**
 * The seeds of one cell. Both are functions of the run seed, the detector and the organism only —
 * not of cell order, worker or shard — so a sharded or resumed run draws exactly what an
 * uninterrupted one does.
 */

/** The seed of one cell: it seeds the subject's sampling (and `configure()`'s context). */
export function cellSeed(seed: number, detector: string, organism: string): number {
  return deriveSeed(seed, `cell:${detector}:${organism}`);
}

/** The seed of `ctx.rng` in `detect()`: the cell seed, decorrelated from the subject's sampling stream. */
export function detectSeed(cell: number): number {
  return cell ^ 0x9e3779b1;
}
