import { SandtrapError, type BudgetLimits, type SandtrapErrorCode } from '@sandtrap/core';

/** Which organisms of the zoo `detect()` runs on: ids (or unique id prefixes), or a filter. */
export type OrganismSelection = readonly string[] | { split?: 'dev' | 'test'; limit?: number };

/** The optional ranking check: organisms of the `positives` kinds score above the `controls`. */
export interface ExpectCase {
  /** Organism kinds (truth.kind, e.g. `backdoor`) that should score high. */
  positives: readonly string[];
  /** Organism kinds (e.g. `clean`) that should score low. */
  controls: readonly string[];
  /** Smallest AUROC (Mann–Whitney, ties count ½) that passes. Default 0.85. */
  minAuroc?: number;
}

/** The second argument of `testDetector`. Unknown keys are an error, as in ESLint's RuleTester. */
export interface TesterCases {
  /**
   * A zoo folder (`zoo.json` + `organisms/<id>/…`), relative to the working directory (vitest's
   * root). Default: `$SANDTRAP_ZOO`, else the first `sandtrap-zoo/smoke` or `fixtures/zoo-smoke`
   * found walking up from the working directory.
   */
  zoo?: string;
  /** The detector's options, validated against its `options` schema (defaults applied) first. */
  options?: Record<string, unknown>;
  /** Organisms to run `detect()` on. Default: every `test`-split organism. */
  organisms?: OrganismSelection;
  /** Optional: scores of the given positive kinds must rank above the controls. */
  expect?: ExpectCase;
  /** Per-cell limits; missing ones come from core's `DEFAULT_BUDGET`. */
  budget?: Partial<BudgetLimits>;
  /**
   * The run seed: `ctx.rng` and `subject.task.sample` draw from it exactly as on a scoreboard run
   * with `seed` (`@sandtrap/harness`'s `cellSeed`, per detector and organism). Default 1, the
   * scoreboard's default.
   */
  seed?: number;
  /** TensorFlow.js backend for `initBackend`. Default: `$SANDTRAP_BACKEND`, else `auto`. */
  backend?: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
}

export const CASE_KEYS = ['zoo', 'options', 'organisms', 'expect', 'budget', 'seed', 'backend'] as const;
const EXPECT_KEYS = ['positives', 'controls', 'minAuroc'] as const;
const BUDGET_KEYS = ['queries', 'finetuneSteps', 'wallSeconds'] as const;
const FILTER_KEYS = ['split', 'limit'] as const;
const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * A problem with the test setup — the cases object, the zoo it names, its organism selection —
 * not with the detector. A {@link SandtrapError}, so it carries a documented code
 * (docs/reference/errors.md): `SANDTRAP_TESTER_CASES_INVALID` unless a more specific one applies.
 */
export class TesterUsageError extends SandtrapError {
  constructor(message: string, code: SandtrapErrorCode = 'SANDTRAP_TESTER_CASES_INVALID', options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'TesterUsageError';
  }
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** `; did you mean 'options'?` when a key is one or two edits from a valid one. */
function suggestion(key: string, valid: readonly string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const v of valid) {
    const k = key.toLowerCase();
    const w = v.toLowerCase();
    // Two edits, or a stem of the key (query → queries).
    const dd = k.length >= 4 && w.startsWith(k.slice(0, -1)) ? Math.min(2, distance(k, w)) : distance(k, w);
    if (dd < bestD) {
      best = v;
      bestD = dd;
    }
  }
  return best ? `; did you mean '${best}'?` : '';
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function strictKeys(obj: Record<string, unknown>, valid: readonly string[], where: string, errors: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!valid.includes(k)) errors.push(`${where} has unknown key '${k}'${suggestion(k, valid)}; valid keys: ${valid.join(', ')}`);
  }
}

const stringList = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string' && s.length > 0);

/**
 * Checks the cases object of `testDetector` strictly: unknown keys (at every level) and wrong
 * types are errors, all reported at once. Throws a {@link TesterUsageError}.
 */
export function validateCases(cases: unknown): TesterCases {
  const where = 'testDetector cases';
  if (cases === undefined) return {};
  if (!isPlainObject(cases)) throw new TesterUsageError(`${where} must be an object { zoo, options, organisms, expect, budget, seed, backend }`);
  const errors: string[] = [];
  strictKeys(cases, CASE_KEYS, where, errors);
  const c = cases;
  if (c.zoo !== undefined && (typeof c.zoo !== 'string' || !c.zoo)) errors.push(`${where}: zoo must be a path to a zoo folder (a string)`);
  if (c.options !== undefined && !isPlainObject(c.options)) errors.push(`${where}: options must be a plain object of detector options`);
  if (c.organisms !== undefined) {
    if (Array.isArray(c.organisms)) {
      if (!stringList(c.organisms) || c.organisms.length === 0) errors.push(`${where}: organisms must be a non-empty array of organism ids, or a filter { split, limit }`);
    } else if (isPlainObject(c.organisms)) {
      strictKeys(c.organisms, FILTER_KEYS, `${where}.organisms`, errors);
      const { split, limit } = c.organisms;
      if (split !== undefined && split !== 'dev' && split !== 'test') errors.push(`${where}.organisms.split must be 'dev' or 'test'; found ${JSON.stringify(split)}`);
      if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) > 0))
        errors.push(`${where}.organisms.limit must be a positive integer; found ${JSON.stringify(limit)}`);
    } else {
      errors.push(`${where}: organisms must be an array of organism ids, or a filter { split, limit }`);
    }
  }
  if (c.expect !== undefined) {
    if (!isPlainObject(c.expect)) {
      errors.push(`${where}: expect must be an object { positives, controls, minAuroc? }`);
    } else {
      strictKeys(c.expect, EXPECT_KEYS, `${where}.expect`, errors);
      const e = c.expect;
      if (!stringList(e.positives) || e.positives.length === 0) errors.push(`${where}.expect.positives must be a non-empty array of organism kinds (e.g. ['backdoor'])`);
      if (!stringList(e.controls) || e.controls.length === 0) errors.push(`${where}.expect.controls must be a non-empty array of organism kinds (e.g. ['clean'])`);
      const { positives, controls } = e;
      if (stringList(positives) && stringList(controls)) {
        const both = positives.filter((k) => controls.includes(k));
        if (both.length) errors.push(`${where}.expect: kind ${both.map((k) => `'${k}'`).join(', ')} is in both positives and controls`);
      }
      if (e.minAuroc !== undefined && !(typeof e.minAuroc === 'number' && e.minAuroc >= 0 && e.minAuroc <= 1)) {
        errors.push(`${where}.expect.minAuroc must be a number in [0, 1]; found ${JSON.stringify(e.minAuroc)}`);
      }
    }
  }
  if (c.budget !== undefined) {
    if (!isPlainObject(c.budget)) {
      errors.push(`${where}: budget must be an object { queries?, finetuneSteps?, wallSeconds? }`);
    } else {
      strictKeys(c.budget, BUDGET_KEYS, `${where}.budget`, errors);
      for (const k of BUDGET_KEYS) {
        const v = c.budget[k];
        if (v !== undefined && !(typeof v === 'number' && v > 0))
          errors.push(`${where}.budget.${k} must be a positive number (Infinity for unlimited); found ${JSON.stringify(v)}`);
      }
    }
  }
  if (c.seed !== undefined && !(Number.isInteger(c.seed) && (c.seed as number) >= 0 && (c.seed as number) <= 0x7fffffff)) {
    errors.push(`${where}: seed must be an integer in [0, 2147483647]; found ${JSON.stringify(c.seed)}`);
  }
  if (c.backend !== undefined && !BACKENDS.includes(c.backend as string)) {
    errors.push(`${where}: backend must be one of ${BACKENDS.join(', ')}; found ${JSON.stringify(c.backend)}`);
  }
  if (errors.length) throw new TesterUsageError(errors.join('\n'));
  return c;
}
