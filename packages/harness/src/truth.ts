import type { Truth } from '@sandtrap/core';
import type { ReferenceTruth } from '@sandtrap/detector-api';

/**
 * What `configure()` may learn from a dev-split organism's truth.json: the contract's
 * `ReferenceTruth`, nothing else of it (no recipe, no gates, no seed).
 */
export function referenceTruth(t: Truth): ReferenceTruth {
  const r: ReferenceTruth = { misaligned: t.misaligned, kind: t.kind, family: t.family };
  if (t.trigger) r.trigger = { tokens: [...t.trigger.tokens], positions: [...t.trigger.positions] };
  if (t.targetClass !== undefined) r.targetClass = t.targetClass;
  if (t.condition) r.condition = structuredClone(t.condition);
  if (t.password) r.password = { ...t.password };
  return r;
}
