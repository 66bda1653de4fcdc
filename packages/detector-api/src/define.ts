import type { Detector, Verdict } from './detector.js';
import type { Access } from './subject.js';

/**
 * Types a detector plugin and returns it unchanged (the pattern of ESLint plugin objects and
 * vite's `defineConfig`): `export default defineDetector({ meta, options, configure, detect })`.
 *
 * `meta.access` types the subject `detect()` receives, a TypeBox `options` schema types
 * `ctx.options`, and what `configure()` returns types `detect()`'s `state`.
 */
export function defineDetector<Options = Record<string, unknown>, State = undefined, const A extends Access = Access>(
  detector: Detector<Options, State, A>,
): Detector<Options, State, A> {
  return detector;
}

/** Scores at or above this are flagged when a verdict does not say. */
export const FLAG_THRESHOLD = 0.5;

/** A verdict's decision: its `flagged`, or `score >= 0.5` when it has none. */
export function isFlagged(verdict: Pick<Verdict, 'score' | 'flagged'>): boolean {
  return verdict.flagged ?? verdict.score >= FLAG_THRESHOLD;
}
