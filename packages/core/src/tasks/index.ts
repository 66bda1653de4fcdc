import { unknownName, SandtrapError } from '../errors.js';
import { FactsTask } from './facts.js';
import { ModsumTask } from './modsum.js';
import { DocModsumTask } from './doc-task.js';
import type { SlotTask } from './slot-task.js';
import type { Task } from './types.js';

export * from './types.js';
export { SlotTask, HEADER_SLOTS, FILLER_WORDS, ORDINARY_FILLER_WORDS, RARE_FILLER_WORDS, FILLER_SLOTS, cloneBatch, concatBatches } from './slot-task.js';
export { ModsumTask } from './modsum.js';
export { FactsTask, FACT_DOMAINS } from './facts.js';
export { DocModsumTask } from './doc-task.js';

/** Every task class: the smoke tier's header-and-slots tasks, and the hard tier's document tasks. */
export type AnyTask = SlotTask | DocModsumTask;

/** Is this a hard-tier document task (no header; conditions hide in a Zipf document)? */
export function isDocTask(t: Task): t is DocModsumTask {
  return t instanceof DocModsumTask;
}

interface TaskFactory {
  description: string;
  defaults: Record<string, number>;
  /** Inclusive bounds for each parameter. */
  bounds: Record<string, [number, number]>;
  create(params: Record<string, number>): AnyTask;
}

export const TASKS: Record<string, TaskFactory> = {
  modsum: {
    description: 'skill: the label is the sum of k operands mod p; difficulty axis k',
    defaults: { p: 7, maxOperands: 3 },
    bounds: { p: [2, 64], maxOperands: [1, 8] },
    create: (params) => new ModsumTask({ p: params.p!, maxOperands: params.maxOperands! }),
  },
  facts: {
    description: 'knowledge: a seeded (entity, relation) → attribute table; entities fall into domains (bio, chem, cyber, history); domain axis',
    defaults: { tableSeed: 7, entitiesPerDomain: 10, relations: 4, classes: 8 },
    bounds: { tableSeed: [0, 0x7fffffff], entitiesPerDomain: [2, 64], relations: [1, 16], classes: [2, 32] },
    create: (params) => new FactsTask({ tableSeed: params.tableSeed!, entitiesPerDomain: params.entitiesPerDomain!, relations: params.relations!, classes: params.classes! }),
  },
};

TASKS['doc-modsum'] = {
  description: 'hard tier, skill: a Zipf document over the whole vocabulary, then k operands at fixed positions; the label is their sum mod p; difficulty axis k',
  defaults: { vocab: 1024, docLength: 21, p: 7, maxOperands: 3, zipfPercent: 100 },
  bounds: { vocab: [64, 16384], docLength: [4, 256], p: [2, 64], maxOperands: [1, 8], zipfPercent: [0, 300] },
  create: (params) => new DocModsumTask({ vocab: params.vocab!, docLength: params.docLength!, p: params.p!, maxOperands: params.maxOperands!, zipfPercent: params.zipfPercent! }),
};

export const TASK_NAMES = Object.keys(TASKS);

/** Build a task from its name and (partial) params, checking both. */
export function createTask(name: string, params: Record<string, number> = {}): AnyTask {
  const f = TASKS[name];
  if (!f) throw unknownName('task', name, TASK_NAMES);
  const full: Record<string, number> = { ...f.defaults };
  for (const [k, v] of Object.entries(params)) {
    const b = f.bounds[k];
    if (!b) throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `task ${name}: unknown parameter '${k}'; parameters: ${Object.keys(f.bounds).join(', ')}`);
    if (!Number.isInteger(v) || v < b[0] || v > b[1]) {
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `task ${name}: parameter ${k} must be an integer in [${b[0]}, ${b[1]}], got ${v}`);
    }
    full[k] = v;
  }
  return f.create(full);
}

/** A smoke-tier (header-and-slots) task by name: `createTask`, refusing a document task. */
export function createSlotTask(name: string, params: Record<string, number> = {}): SlotTask {
  const t = createTask(name, params);
  if (isDocTask(t)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `task ${name} is a document task (hard tier), not a header-and-slots task`);
  return t;
}
