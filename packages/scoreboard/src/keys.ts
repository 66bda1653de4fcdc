import { contentHash } from '@sandtrap/core';
import type { BoardSettings } from './board.js';

/**
 * Content keys of results.jsonl. A key changes exactly when the result under it could, so a rerun
 * (or a shard) reuses every line whose key it computes again. Their inputs are part of the line
 * format: changing them orphans every cached result.
 */

/**
 * Bumped when the harness changes what a cell or configure() can return for the same inputs, so
 * results cached by an earlier version are not reused. 2: dev references sample with a seed of
 * their id, not of their place in the list (leave-one-kind-out). 3: a detector that caught its
 * budget error and went on fails as `budget`, and a forged call past its access level as
 * `forbidden` (the detector in its own process, #16).
 */
export const RESULTS_PROTOCOL = 3;

/** What a cell's key takes of its detector. */
export interface KeyedDetector {
  id: string;
  version: string;
  optionsHash: string;
  /** Hash of the detector's entry file: a changed build reruns its cells. */
  codeHash: string;
}

/** What both keys take of a detector and the run's settings (contentHash sorts the keys: order is free). */
function keyed(d: KeyedDetector, s: Pick<BoardSettings, 'seed' | 'budget' | 'backend'>) {
  return { protocol: RESULTS_PROTOCOL, detector: d.id, version: d.version, options: d.optionsHash, code: d.codeHash, seed: s.seed, budget: s.budget, backend: s.backend };
}

/**
 * The content key of one cell: it changes exactly when the cell's result could — with the
 * organism, and with the dev split (`dev`, {@link devSplitHash}), which configure()'s state is
 * learned from.
 */
export function cellKey(d: KeyedDetector, o: { id: string; weights: string }, s: Pick<BoardSettings, 'seed' | 'budget' | 'backend'>, dev: string): string {
  return contentHash({ ...keyed(d, s), organism: o.id, weights: o.weights, dev });
}

/** The key of a detector's configure() record and cached state: it also changes with the zoo and its dev split. */
export function detectorKey(d: KeyedDetector, s: Pick<BoardSettings, 'seed' | 'budget' | 'backend'>, specHash: string, dev: string): string {
  return contentHash({ ...keyed(d, s), zoo: specHash, dev });
}

/**
 * `--holdout kind`: the key of a detector's configure() on the dev split without `kind`'s
 * organisms (its record and cached state), derived from the detector's own {@link detectorKey}.
 */
export function holdoutConfigureKey(detectorKey: string, kind: string): string {
  return contentHash({ configure: detectorKey, holdout: kind });
}

/**
 * A cell scored with a held-out configure() state. Content-addressed by the state itself (the hash
 * of its serialised bytes): a state equal to the ordinary one is the ordinary cell and is not run
 * again, so holding out a kind a detector does not learn from costs nothing.
 */
export function holdoutCellKey(cellKey: string, stateHash: string): string {
  return contentHash({ cell: cellKey, state: stateHash });
}
