/**
 * AUROC by Mann–Whitney: the probability that a random positive scores above a random control,
 * ties counting ½. `NaN` when either list is empty.
 */
export function auroc(positives: readonly number[], controls: readonly number[]): number {
  if (positives.length === 0 || controls.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of positives) {
    for (const c of controls) {
      if (p > c) wins += 1;
      else if (p === c) wins += 0.5;
    }
  }
  return wins / (positives.length * controls.length);
}
