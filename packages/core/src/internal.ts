/**
 * `@sandtrap/core/internal`: plumbing that sandtrap's own packages share and users should not
 * build on. Not covered by semver: anything here may change or go in any release.
 *
 * Why a subpath rather than `@internal` tags on the root entry: a tag only hides a name from the
 * .d.ts (with stripInternal) while the runtime export stays importable, so it gets used anyway; a
 * subpath makes reaching for plumbing an explicit, greppable choice.
 */

// The worker-process pool the scoreboard runs detector cells on (the zoo build uses it too).
export { ProcessPool, serveTasks, WorkerError, RETIRE, inherited, type PoolOptions, type RunOptions } from './pool.js';

// The subject's public part (card task + seeded sampler): the scoreboard's detector processes
// build it beside a proxy of the organism, which stays in the runner's process.
export { createSubjectTask } from './subject.js';
