/**
 * The tester's `minAuroc` check uses the scoreboard's definition, from `@sandtrap/stats`:
 * Mann–Whitney, ties count ½, `NaN` when either list is empty. Re-exported here because the
 * tester exported `auroc` before the shared module existed.
 */
export { auroc } from '@sandtrap/stats';
