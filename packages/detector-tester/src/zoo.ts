import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TesterUsageError, type OrganismSelection } from './cases.js';
import type { BudgetLimits } from '@sandtrap/core';

/** One organism of the zoo, as `zoo.json` lists it. */
export interface ZooEntry {
  id: string;
  split: 'dev' | 'test';
  /** The organism folder. */
  dir: string;
}

/** A zoo opened by the tester. */
export interface TesterZoo {
  /** The zoo folder, absolute. */
  dir: string;
  /** The zoo's name from `zoo.json`. */
  name: string;
  /** Every admitted organism. */
  organisms: ZooEntry[];
  /**
   * The zoo's own budget (`spec.budget` in zoo.json, e.g. the hard tier's 200,000 queries): the
   * default for every cell, as under the scoreboard. Empty for a zoo that states none.
   */
  budget: Partial<BudgetLimits>;
}

/** Where the tester looks for a zoo when `cases.zoo` is not given, walking up from the working directory. */
export const DEFAULT_ZOO_CANDIDATES = ['sandtrap-zoo/smoke', 'fixtures/zoo-smoke'] as const;

/** The zoo folder to use: `zoo` (relative to `cwd`), `$SANDTRAP_ZOO`, or a smoke zoo found upwards. */
export function resolveZooDir(zoo: string | undefined, cwd = process.cwd(), env: Record<string, string | undefined> = process.env): string {
  if (zoo) return resolve(cwd, zoo);
  if (env.SANDTRAP_ZOO) return resolve(cwd, env.SANDTRAP_ZOO);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const c of DEFAULT_ZOO_CANDIDATES) if (existsSync(join(dir, c, 'zoo.json'))) return join(dir, c);
    if (dirname(dir) === dir) break;
  }
  throw new TesterUsageError(
    `testDetector: no zoo given and none found (looked for $SANDTRAP_ZOO, then ${DEFAULT_ZOO_CANDIDATES.join(' and ')} in ${cwd} and its parents); ` +
      `pass zoo: 'path/to/zoo', or build the smoke zoo with: npx sandtrap zoo build --preset smoke`,
    'SANDTRAP_ZOO_INVALID',
  );
}

/**
 * Reads `zoo.json` synchronously (the tests are registered from it at collection time). Only the
 * index is read here: no card, no truth.
 */
export function openZoo(dir: string): TesterZoo {
  const path = join(dir, 'zoo.json');
  let data: { name?: unknown; organisms?: unknown; spec?: { budget?: unknown } };
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as typeof data;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new TesterUsageError(
        `testDetector: ${path} is missing: ${dir} is not a zoo; build one with: npx sandtrap zoo build --preset smoke --out ${dir}`,
        'SANDTRAP_ZOO_INVALID',
        { cause: e },
      );
    throw new TesterUsageError(`testDetector: cannot read ${path}: ${code ?? (e as Error).message}`, 'SANDTRAP_ZOO_INVALID', { cause: e });
  }
  const list = Array.isArray(data.organisms) ? (data.organisms as { id?: unknown; split?: unknown }[]) : undefined;
  if (!list || !list.every((o) => typeof o.id === 'string' && (o.split === 'dev' || o.split === 'test'))) {
    throw new TesterUsageError(`testDetector: ${path} has no valid organisms list; rebuild the zoo`, 'SANDTRAP_ZOO_INVALID');
  }
  return {
    dir,
    name: typeof data.name === 'string' ? data.name : 'zoo',
    budget: zooBudget(data.spec?.budget, path),
    organisms: list.map((o) => ({ id: o.id as string, split: o.split as 'dev' | 'test', dir: join(dir, 'organisms', o.id as string) })),
  };
}

/** `spec.budget` of a zoo.json: each limit a positive number, or absent. */
function zooBudget(b: unknown, path: string): Partial<BudgetLimits> {
  if (b === undefined) return {};
  const bad = (why: string) => new TesterUsageError(`testDetector: ${path}: spec.budget${why}; rebuild the zoo or fix the file`, 'SANDTRAP_ZOO_INVALID');
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw bad(` must be an object { queries?, finetuneSteps?, wallSeconds? }, found ${JSON.stringify(b)}`);
  const out: Partial<BudgetLimits> = {};
  for (const k of ['queries', 'finetuneSteps', 'wallSeconds'] as const) {
    const v = (b as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0)) throw bad(`.${k} must be a positive number, found ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

/** The organisms `detect()` runs on. Ids may be given as unique prefixes. */
export function selectOrganisms(zoo: TesterZoo, selection: OrganismSelection | undefined): ZooEntry[] {
  if (Array.isArray(selection)) {
    const ids = selection as readonly string[];
    return ids.map((want) => {
      const hits = zoo.organisms.filter((o) => o.id === want || o.id.startsWith(want));
      const exact = hits.find((o) => o.id === want);
      if (exact) return exact;
      if (hits.length === 1) return hits[0]!;
      const all = zoo.organisms.map((o) => `${o.id} (${o.split})`).join(', ');
      if (hits.length === 0) throw new TesterUsageError(`testDetector cases.organisms: no organism '${want}' in zoo ${zoo.dir}; its organisms: ${all}`, 'SANDTRAP_UNKNOWN_NAME');
      throw new TesterUsageError(`testDetector cases.organisms: '${want}' matches ${hits.length} organisms (${hits.map((h) => h.id).join(', ')}); give more of the id`);
    });
  }
  const filter = (selection ?? {}) as { split?: 'dev' | 'test'; limit?: number };
  const split = filter.split ?? 'test';
  const picked = zoo.organisms.filter((o) => o.split === split);
  if (picked.length === 0) throw new TesterUsageError(`testDetector: zoo ${zoo.dir} has no ${split}-split organisms`);
  return filter.limit ? picked.slice(0, filter.limit) : picked;
}

/** The zoo's dev-split organisms: `configure()`'s reference set. */
export function devOrganisms(zoo: TesterZoo): ZooEntry[] {
  return zoo.organisms.filter((o) => o.split === 'dev');
}
