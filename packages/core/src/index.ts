/**
 * The public API of `@sandtrap/core`, listed name by name so that nothing becomes public by
 * accident (src/public-api.test.ts pins this list; README.md documents it). Plumbing that only
 * sandtrap's own packages use lives in `@sandtrap/core/internal` (no semver guarantee).
 */

// Errors: one class, a stable code per class of error (docs/reference/errors.md).
export { ERROR_CODES, SandtrapError, isSandtrapError, isErrorCode, exitCodeOf, type SandtrapErrorCode } from './errors.js';

// The TensorFlow.js engine.
export { BACKEND_REQUESTS, initBackend, getTf, activeBackend, parseBackendRequest, machineInfo, type BackendName, type BackendRequest, type BackendInfo } from './backend.js';

// Seeds, hashes, files.
export { Rng, deriveSeed } from './rng.js';
export { sha256, stableStringify, contentHash } from './hash.js';
export { writeFileAtomic, ensureWritableDir } from './fsutil.js';
export { SANDTRAP_VERSION } from './version.js';

// Tasks, architectures, recipes: looked up by name.
export { TASK_NAMES, createTask, createSlotTask, isDocTask, DocModsumTask, type AnyTask } from './tasks/index.js';
export type { Task, TaskDescription, Batch, SampleOptions, HeaderSlot } from './tasks/types.js';
export { ARCH_NAMES } from './arch/index.js';
export { RECIPE_NAMES, getRecipe, recipeFor, resolveRecipeParams, HARD_BUDGET } from './recipes/index.js';
export type { Recipe, Family, Gate, ConditionTruth, DisclosedFeature } from './recipes/types.js';
export { Model } from './model.js';
export type { TrainBatch, ProgressEvent, TrainOptions, PhaseStats } from './train.js';
/** @experimental One training phase on a model (the bench's sweep uses it); no gates, no cache. */
export { trainPhase } from './train.js';

// Organisms: build, write, read, verify.
export {
  resolveSpec,
  organismId,
  buildOrganism,
  writeOrganism,
  readCard,
  readTruth,
  loadModel,
  modelFromBytes,
  readOrganismBytes,
  inspectOrganism,
  verifyOrganism,
  TrainingCache,
  trainOnce,
  baseKey,
  dimsOf,
  evaluator,
  type OrganismSpec,
  type ResolvedSpec,
  type BuildOptions,
  type BuiltOrganism,
  type TrainOnceOptions,
  type VerifyResult,
} from './organism.js';
export { CardSchema, TruthSchema, validate, type Card, type Truth, type TrainingSpec, type ValidationResult } from './schemas.js';

// Zoos.
export {
  parseZooSpec,
  presetSpec,
  readZooSpecFile,
  buildZoo,
  shardJobs,
  mergeZooShards,
  SHARD_FILE,
  readZooIndex,
  listZoo,
  verifyZoo,
  sharedConditions,
  type ZooSpec,
  type ZooJob,
  type Split,
  type ZooIndex,
  type ZooEvent,
  type BuildZooOptions,
  type BuildZooResult,
  type ZooShard,
  type ZooShardIndex,
  type ZooListEntry,
} from './zoo.js';
export {
  buildSealedZoo,
  planSealedBuild,
  sealJobs,
  readSealedKey,
  parseSealedSecret,
  sealedCommitment,
  organismTruth,
  zooKey,
  SEALED_SEED_ENV,
  SEALED_SCHEME,
  type SealedKey,
  type SealedBuildOptions,
  type SealedBuildResult,
} from './sealed.js';

// The Subject a detector sees, and its budget.
export { createSubject, SubjectScope, BudgetMeter, DEFAULT_BUDGET, type Access, type BudgetLimits, type SubjectOptions } from './subject.js';
