import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every name an entry exports, types included, as the TypeScript checker resolves them — the
 * runtime `Object.keys(await import(...))` would miss types, which are API too.
 */
const ENTRIES = ['./index.ts', './internal.ts'].map((e) => fileURLToPath(new URL(e, import.meta.url)));
let program: ts.Program | undefined;

function exportedNames(entry: string): string[] {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  // One program for both entries: building it (all of core + tfjs's types) is the slow part.
  program ??= ts.createProgram(ENTRIES, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    customConditions: ['sandtrap-source'],
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker
    .getExportsOfModule(module)
    .map((s) => s.name)
    .sort();
}

// Changing either list changes the package's API: update packages/core/README.md (the API table)
// and add a changeset in the same commit.
const PUBLIC = [
  'ARCH_NAMES',
  'Access',
  'AnyTask',
  'BACKEND_REQUESTS',
  'BackendInfo',
  'BackendName',
  'BackendRequest',
  'Batch',
  'BudgetLimits',
  'BudgetMeter',
  'BuildOptions',
  'BuildZooOptions',
  'BuildZooResult',
  'BuiltOrganism',
  'Card',
  'CardSchema',
  'ConditionTruth',
  'DEFAULT_BUDGET',
  'DisclosedFeature',
  'DocModsumTask',
  'ERROR_CODES',
  'Family',
  'Gate',
  'HARD_BUDGET',
  'HeaderSlot',
  'Model',
  'OrganismSpec',
  'PhaseStats',
  'ProgressEvent',
  'RECIPE_NAMES',
  'Recipe',
  'ResolvedSpec',
  'Rng',
  'SANDTRAP_VERSION',
  'SHARD_FILE',
  'SampleOptions',
  'SandtrapError',
  'SandtrapErrorCode',
  'Split',
  'SubjectOptions',
  'SubjectScope',
  'TASK_NAMES',
  'Task',
  'TaskDescription',
  'TrainBatch',
  'TrainOnceOptions',
  'TrainOptions',
  'TrainingCache',
  'TrainingSpec',
  'Truth',
  'TruthSchema',
  'ValidationResult',
  'VerifyResult',
  'ZooEvent',
  'ZooIndex',
  'ZooJob',
  'ZooListEntry',
  'ZooShard',
  'ZooShardIndex',
  'ZooSpec',
  'activeBackend',
  'baseKey',
  'buildOrganism',
  'buildZoo',
  'contentHash',
  'createSlotTask',
  'createSubject',
  'createTask',
  'deriveSeed',
  'dimsOf',
  'ensureWritableDir',
  'evaluator',
  'exitCodeOf',
  'getRecipe',
  'getTf',
  'initBackend',
  'inspectOrganism',
  'isDocTask',
  'isErrorCode',
  'isSandtrapError',
  'listZoo',
  'loadModel',
  'machineInfo',
  'modelFromBytes',
  'organismId',
  'parseBackendRequest',
  'parseZooSpec',
  'presetSpec',
  'readCard',
  'readOrganismBytes',
  'readTruth',
  'readZooIndex',
  'readZooSpecFile',
  'recipeFor',
  'resolveRecipeParams',
  'resolveSpec',
  'sha256',
  'shardJobs',
  'sharedConditions',
  'buildSealedZoo',
  'planSealedBuild',
  'sealJobs',
  'readSealedKey',
  'parseSealedSecret',
  'sealedCommitment',
  'organismTruth',
  'zooKey',
  'SEALED_SEED_ENV',
  'SEALED_SCHEME',
  'SealedKey',
  'SealedBuildOptions',
  'SealedBuildResult',
  'stableStringify',
  'trainOnce',
  'trainPhase',
  'validate',
  'verifyOrganism',
  'verifyZoo',
  'writeFileAtomic',
  'writeOrganism',
  'mergeZooShards',
];
const INTERNAL = ['PoolOptions', 'ProcessPool', 'RETIRE', 'RunOptions', 'WorkerError', 'createSubjectTask', 'inherited', 'serveTasks'];

describe('the public API of @sandtrap/core', () => {
  it('the root entry exports exactly the documented names', () => {
    expect(exportedNames('./index.ts')).toEqual([...PUBLIC].sort());
  });

  it('@sandtrap/core/internal exports the plumbing and nothing public', () => {
    expect(exportedNames('./internal.ts')).toEqual([...INTERNAL].sort());
  });

  it('no entry re-exports a whole module, so a new export in a module stays private', () => {
    for (const entry of ['./index.ts', './internal.ts']) {
      const text = readFileSync(new URL(entry, import.meta.url), 'utf8');
      expect(text, entry).not.toMatch(/^\s*export\s+(type\s+)?\*/m);
    }
  });

  it('the runtime values match the listed value exports', async () => {
    const root = await import('./index.js');
    const values = Object.keys(root).sort();
    // Every runtime export is listed, and nothing listed as a value is missing at runtime.
    for (const v of values) expect(PUBLIC).toContain(v);
    for (const v of ['SandtrapError', 'ERROR_CODES', 'buildOrganism', 'createSubject']) expect(values).toContain(v);
    for (const v of ['ProcessPool', 'RETIRE', 'serveTasks']) expect(values).not.toContain(v);
  });

  it('the README documents every public name', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    // Named in code, alone (`Card`) or called (`readCard(dir)`).
    const missing = PUBLIC.filter((n) => !readme.includes(`\`${n}\``) && !readme.includes(`\`${n}(`));
    expect(missing).toEqual([]);
  });
});
