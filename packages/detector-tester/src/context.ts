import { DEFAULT_BUDGET, getTf, Rng } from '@sandtrap/core';
import type { DetectorBudget, DetectorContext } from '@sandtrap/detector-api';

/** What {@link fakeContext} takes; every key is optional. */
export interface FakeContextInit<Options> {
  /** `ctx.options`, as given (run them through `validateOptions` first for the schema's defaults). Default `{}`. */
  options?: Options;
  /** Seeds `ctx.rng`, a `new Rng(seed)` of `@sandtrap/core`. Default 0. */
  seed?: number;
  /** The limits `ctx.budget` reports, each defaulting to core's `DEFAULT_BUDGET`. */
  budget?: Partial<Omit<DetectorBudget, 'used'>>;
  /**
   * `ctx.tf`. Default: core's engine (`getTf()`), looked up when `ctx.tf` is read, so a test that
   * never touches it needs no backend (and one that does gets core's error until `initBackend()`).
   */
  tf?: DetectorContext['tf'];
  /** `ctx.log`. Default: the line is dropped. */
  log?: (message: string) => void;
  /** `ctx.signal`. Default: a signal that never aborts. */
  signal?: AbortSignal;
}

/**
 * A detector context for unit tests that call `detect()`, `configure()` or a detector's own
 * functions directly, without a zoo: `ctx.rng` is core's `Rng` seeded with `seed` (same seed, same
 * draws), `ctx.budget` reports the limits and meters nothing (`used()` is always zero: the limits
 * are enforced by the subject, and a fake subject enforces none), `ctx.log` drops lines unless
 * `log` is given. `testDetector` builds the runner's real context; this is for everything else.
 */
export function fakeContext<Options = Record<string, unknown>>(init: FakeContextInit<Options> = {}): DetectorContext<Options> {
  const tf = init.tf;
  return {
    get tf() {
      return tf ?? getTf();
    },
    rng: new Rng(init.seed ?? 0),
    log: init.log ?? (() => {}),
    signal: init.signal ?? new AbortController().signal,
    options: init.options ?? ({} as Options),
    budget: {
      queries: init.budget?.queries ?? DEFAULT_BUDGET.queries,
      finetuneSteps: init.budget?.finetuneSteps ?? DEFAULT_BUDGET.finetuneSteps,
      wallSeconds: init.budget?.wallSeconds ?? DEFAULT_BUDGET.wallSeconds,
      used: () => ({ queries: 0, finetuneSteps: 0, wallSeconds: 0 }),
    },
  };
}
