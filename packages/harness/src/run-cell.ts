import { BudgetMeter, getTf, Rng, SandtrapError, SubjectScope, type Access, type BudgetLimits, type Card, type Model } from '@sandtrap/core';
import {
  validateVerdict,
  type AnyDetector,
  type BudgetUsage,
  type DetectorContext,
  type ReferenceOrganism,
  type ReferenceTruth,
  type ValidatedVerdict,
} from '@sandtrap/detector-api';
import { detectSeed, referenceSeed } from './seeds.js';
import { globalsChanged, snapshotGlobals, type GlobalsSnapshot } from './globals.js';
import { stateIssues } from './state.js';
import { fingerprint, liveTensors, makeSubject, type Fingerprint } from './subject.js';
import { deserializeError, SubjectServer, type DetectorJob, type DetectorProcess, type DetectorReply, type ProxyInfo } from './remote.js';

/**
 * Why a cell failed, in one word. The harness itself gives `threw`, `budget`, `timeout` (the
 * detector ignored `ctx.signal` past the grace), `invalid-verdict`, `leaked-tensors`, `mutated`
 * and `invalid-state`; with the detector in its own process ({@link runRemoteCell}) also `forbidden`
 * (a subject call past the declared access level, forged on the IPC channel), `crashed` and
 * `out-of-memory` of that process; a runner adds what only it can see (a `timeout` of a killed
 * process, `invalid-plugin`, `configure-failed`).
 */
export type FailureReason =
  | 'threw'
  | 'budget'
  | 'timeout'
  | 'out-of-memory'
  | 'crashed'
  | 'invalid-verdict'
  | 'leaked-tensors'
  | 'mutated'
  | 'invalid-state'
  | 'invalid-plugin'
  | 'configure-failed'
  | 'forbidden';

/** One thing wrong with a cell. The first problem of a failed cell is the one a scoreboard records. */
export interface Problem {
  reason: FailureReason;
  /** What went wrong and what to do about it: a first line that stands alone, then details (schema errors, the detector's stack frames). */
  message: string;
}

/** What one `detect()` cell did. */
export interface CellOutcome {
  /** The validated verdict; present exactly when `problems` is empty. */
  verdict?: ValidatedVerdict;
  /** Everything wrong with the cell, most fundamental first: the call, the verdict, tensors, mutation. */
  problems: Problem[];
  usage: BudgetUsage;
  /** Wall seconds of the whole cell, loading excluded. */
  seconds: number;
  /** Live tensors after the cell minus before (0 when clean; not measured when the detector hung). */
  tensorDelta: number;
  /**
   * The engine is no longer clean: the detector leaked or freed tensors it did not own, or it is
   * still running after the wall budget and its grace. A process that ran this cell should not
   * run another.
   */
  retire: boolean;
}

/** What one `configure()` did. */
export interface ConfigureOutcome extends Omit<CellOutcome, 'verdict'> {
  /** `false` when the detector has no `configure()` (then nothing ran and there are no problems). */
  ran: boolean;
  /** The state, after a `structuredClone` round trip (what `detect()` receives); present when `problems` is empty. */
  state?: unknown;
}

interface Common {
  /** A detector whose shape was checked (`checkDetectorShape`). */
  detector: AnyDetector;
  /** Validated options, defaults applied. */
  options: Record<string, unknown>;
  /** The limits of one cell. */
  limits: BudgetLimits;
  /** Lines the detector passes to `ctx.log`. */
  log?: (line: string) => void;
  /**
   * Fingerprint the organisms before and after (weights, predictions on a fixed batch, card) and
   * fail a cell that changed one. Default true.
   */
  checkMutation?: boolean;
  /**
   * Snapshot the process's globals before and after ({@link snapshotGlobals}: the built-ins and
   * their prototypes, `process.env`, the meter's and the engine's prototypes) and fail a call that
   * changed them, retiring its process so no later cell inherits the change. Given a snapshot, the
   * globals are compared with it instead: the scoreboard's cell worker takes one before it imports
   * the detector, so a change made at import time counts too. Default false.
   */
  checkGlobals?: boolean | GlobalsSnapshot;
  /** How long the detector gets to return after `ctx.signal` aborts before the cell is declared hung. Default {@link HANG_GRACE_MS}. */
  hangGraceMs?: number;
}

/** An organism handed to the harness. The harness owns `model` from then on and disposes it on every path. */
export interface HarnessOrganism {
  model: Model;
  card: Card;
  /** How messages name it (`organism 9d50…`). */
  label: string;
}

export interface CellInput extends Common {
  organism: HarnessOrganism;
  /** `configure()`'s state; `detect()` receives a structured clone of it. */
  state?: unknown;
  /** The cell seed ({@link cellSeed}): it seeds the subject's sampling, and `ctx.rng` through {@link detectSeed}. */
  seed: number;
}

export interface ConfigureInput extends Common {
  /** The dev-split organisms with their truth. */
  references: Array<HarnessOrganism & { truth: ReferenceTruth }>;
  /** {@link configureSeed}: it seeds `ctx.rng`, and each reference samples with {@link referenceSeed} of its id. */
  seed: number;
}

/** Time a detector gets after `ctx.signal` aborts before its cell is declared hung. */
export const HANG_GRACE_MS = 2000;

/** `configure()` looks at every dev organism: it gets one cell's budget per organism. */
export function configureLimits(limits: BudgetLimits, references: number): BudgetLimits {
  const k = Math.max(1, references);
  return { queries: limits.queries * k, finetuneSteps: limits.finetuneSteps * k, wallSeconds: limits.wallSeconds * k };
}

const fmtUsed = (u: BudgetUsage) => `used ${u.queries} queries, ${u.finetuneSteps} finetune steps, ${u.wallSeconds.toFixed(1)} s`;

function errorLine(e: unknown): string {
  if (e instanceof Error) {
    // The detector's own frames, not the harness's or the runtime's: they say where it threw.
    const frames = (e.stack ?? '')
      .split('\n')
      .slice(1)
      .filter((l) => /^\s+at /.test(l) && !l.includes('node:internal') && !/[/\\](harness|detector-tester|scoreboard)[/\\](src|dist)[/\\]/.test(l))
      .slice(0, 3)
      .map((l) => l.trim());
    return `${e.name}: ${e.message}${frames.length ? `\n${frames.join('\n')}` : ''}`;
  }
  return String(e);
}

function isBudgetError(e: unknown): e is Error {
  return e instanceof Error && (e as { code?: unknown }).code === 'SANDTRAP_BUDGET_EXCEEDED';
}

class Hung extends Error {}

/** The detector process died during the call (its exit, or the out-of-memory it reported). */
class ProcessGone extends Error {
  constructor(
    readonly reason: 'crashed' | 'out-of-memory',
    message: string,
  ) {
    super(message);
  }
}

/** The detector process could not load the detector for this call. */
class LoadFailed extends Error {}

function callProblem(e: unknown, what: string, meter: BudgetMeter, limits: BudgetLimits): Problem {
  if (e instanceof Hung) {
    return {
      reason: 'timeout',
      message: `hung: ${what} did not return within ${limits.wallSeconds} s (budget.wallSeconds) + ${e.message} s after ctx.signal aborted; check ctx.signal in long loops (${fmtUsed(meter.used())})`,
    };
  }
  if (e instanceof ProcessGone) return { reason: e.reason, message: `${what}: ${e.message}` };
  if (e instanceof LoadFailed) return { reason: 'invalid-plugin', message: e.message };
  if (isBudgetError(e))
    return {
      reason: 'budget',
      message: `over budget: ${what} ${e.message} (limits: ${limits.queries} queries, ${limits.finetuneSteps} finetune steps, ${limits.wallSeconds} s; ${fmtUsed(meter.used())})`,
    };
  // `signal.throwIfAborted()` throws the reason itself; an AbortError wrapping it (fetch, timers) is the same failure.
  const cause = (e as { cause?: unknown } | null)?.cause;
  if (e instanceof Error && e.name === 'AbortError' && isBudgetError(cause))
    return { reason: 'budget', message: `over budget: ${what} ${cause.message} (${fmtUsed(meter.used())})` };
  return { reason: 'threw', message: `${what} threw ${errorLine(e)}` };
}

/**
 * Runs `fn` under the wall budget: `controller` aborts at the limit with a budget error (so a
 * detector that polls `ctx.signal` ends as a budget failure), and the call is declared hung
 * `graceMs` later if it still has not settled. A detector that blocks the event loop is never
 * declared hung here: only a runner's process timeout can stop it.
 */
async function underWallBudget<T>(fn: () => Promise<T>, wallSeconds: number, graceMs: number, controller: AbortController): Promise<T> {
  if (!Number.isFinite(wallSeconds)) return fn();
  const timers: NodeJS.Timeout[] = [];
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timers.push(setTimeout(() => controller.abort(new SandtrapError('SANDTRAP_BUDGET_EXCEEDED', `budget exceeded: wall seconds > ${wallSeconds}`)), wallSeconds * 1000));
        timers.push(setTimeout(() => reject(new Hung(String(graceMs / 1000))), wallSeconds * 1000 + graceMs));
      }),
    ]);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

/** The `ctx` a detector receives; `budget` is the meter's (one process) or its mirror (a detector process). */
export function context(
  options: Record<string, unknown>,
  rngSeed: number,
  budget: DetectorContext['budget'],
  controller: AbortController,
  log: ((line: string) => void) | undefined,
): DetectorContext<Record<string, unknown>> {
  const rng = new Rng(rngSeed);
  return {
    tf: getTf(),
    // Only the contract's members: a detector cannot come to depend on more of core's Rng than the contract promises.
    rng: { float: () => rng.float(), int: (n: number) => rng.int(n), normal: () => rng.normal() },
    log: (m: string) => log?.(String(m)),
    signal: controller.signal,
    options,
    budget,
  };
}

function tensorProblem(delta: number, what: string): Problem[] {
  if (delta > 0) {
    return [
      {
        reason: 'leaked-tensors',
        message: `leaked ${delta} tensor${delta === 1 ? '' : 's'} in ${what} (ctx.tf.memory().numTensors grew by ${delta} after the subject's copies were freed); wrap tensor work in ctx.tf.tidy() and dispose() what you keep`,
      },
    ];
  }
  if (delta < 0)
    return [
      {
        reason: 'leaked-tensors',
        message: `disposed ${-delta} tensor${delta === -1 ? '' : 's'} ${what} did not own (numTensors fell by ${-delta}); never dispose the organism's tensors`,
      },
    ];
  return [];
}

function mutationProblems(before: Fingerprint, after: Fingerprint, what: string): Problem[] {
  const out: Problem[] = [];
  if (before.weights !== after.weights) {
    out.push({
      reason: 'mutated',
      message: `mutated ${what}: its weights changed (sha256 ${before.weights.slice(0, 12)}… → ${after.weights.slice(0, 12)}…); change copies (subject.perturbed, subject.finetune), never the organism`,
    });
  } else if (before.predictions !== after.predictions) {
    out.push({ reason: 'mutated', message: `mutated ${what}: its predictions on a fixed batch changed while its weights did not` });
  }
  if (before.card !== after.card) out.push({ reason: 'mutated', message: `mutated ${what}: subject.card changed; treat the card as read-only (copy what you need to change)` });
  return out;
}

interface Call<T> {
  what: string;
  organisms: HarnessOrganism[];
  limits: BudgetLimits;
  common: Common;
  /** Builds the subjects (inside the harness's scope and meter) and calls the detector. */
  invoke: (meter: BudgetMeter, scope: SubjectScope) => Promise<T>;
  /** With the detector in its own process: what that process reported of itself, and what the host refused. */
  remote?: () => RemoteSide;
}

interface RemoteSide {
  /** The detector process's own live-tensor change. */
  tensorDelta: number;
  /** What changed in the detector process's globals. */
  changed: string[];
  /** Subject calls the host refused (past the access level, an unknown handle). */
  forbidden: string[];
  /** Why the returned value could not leave the detector process. */
  valueIssues?: string[];
}

/**
 * The part `detect()` and `configure()` share: fingerprints, meter, subject scope, the call under
 * the wall budget, tensor and mutation checks, and disposal of every model on every path.
 */
async function guarded<T>(c: Call<T>): Promise<{ returned: boolean; value?: T; problems: Problem[]; usage: BudgetUsage; seconds: number; tensorDelta: number; retire: boolean }> {
  const check = c.common.checkMutation !== false;
  const scope = new SubjectScope();
  try {
    const before = check ? c.organisms.map((o) => fingerprint(o.model, o.card)) : [];
    const cg = c.common.checkGlobals;
    const globalsBefore = cg === true ? snapshotGlobals() : cg || undefined;
    const t0 = liveTensors();
    const start = performance.now();
    const meter = new BudgetMeter(c.limits);
    const problems: Problem[] = [];
    let returned = false;
    let hung = false;
    let value: T | undefined;
    try {
      value = await c.invoke(meter, scope);
      returned = true;
      // A detector that never queried after the wall budget ran out is still over it.
      meter.wall();
    } catch (e) {
      hung = e instanceof Hung;
      problems.push(callProblem(e, c.what, meter, c.limits));
    } finally {
      scope.disposeAll();
    }
    const usage = meter.used();
    const seconds = (performance.now() - start) / 1000;
    const side = c.remote?.();
    if (side?.forbidden.length) {
      problems.unshift({
        reason: 'forbidden',
        message: `${c.what} reached past its access level: ${side.forbidden.slice(0, 3).join('; ')}; a detector gets only the subject calls of the access it declares (meta.access)`,
      });
    }
    // The meter counts a call that goes over before it throws: a detector that caught the budget error and went on is over it all the same.
    if (returned && !problems.some((p) => p.reason === 'budget') && (usage.queries > c.limits.queries || usage.finetuneSteps > c.limits.finetuneSteps)) {
      problems.unshift({
        reason: 'budget',
        message: `over budget: ${c.what} went past its budget and kept going after the budget error (limits: ${c.limits.queries} queries, ${c.limits.finetuneSteps} finetune steps; ${fmtUsed(usage)}); let SANDTRAP_BUDGET_EXCEEDED propagate, and plan with ctx.budget`,
      });
    }
    // A hung detector still holds the organism and its tensors: counting them or fingerprinting now means nothing.
    if (hung) return { returned, problems, usage, seconds, tensorDelta: 0, retire: true };
    const tensorDelta = liveTensors() - t0 + (side?.tensorDelta ?? 0);
    problems.push(...tensorProblem(tensorDelta, c.what));
    if (check) c.organisms.forEach((o, i) => problems.push(...mutationProblems(before[i]!, fingerprint(o.model, o.card), o.label)));
    const changed = side ? side.changed : globalsBefore ? globalsChanged(globalsBefore, snapshotGlobals()) : [];
    if (changed.length) {
      problems.push({
        reason: 'mutated',
        message: `${c.what} changed its worker process: ${changed.join(', ')}; a detector must leave globals as it found them (the process is retired, so no later cell inherits the change)`,
      });
    }
    return { returned, value, problems, usage, seconds, tensorDelta, retire: tensorDelta !== 0 || changed.length > 0 };
  } finally {
    for (const o of c.organisms) o.model.dispose();
  }
}

/**
 * Runs `detect()` on one organism as the scoreboard scores it and the tester tests it: the subject
 * at the detector's access level, seeded sampling and `ctx.rng`, the budget meter, `ctx.signal`
 * aborted at the wall budget, then the leak, mutation and verdict checks. Never throws for the
 * detector's faults: they are `problems`. Disposes the organism's model on every path.
 */
export async function runCell(input: CellInput): Promise<CellOutcome> {
  const { detector, organism } = input;
  const controller = new AbortController();
  const r = await guarded({
    what: 'detect()',
    organisms: [organism],
    limits: input.limits,
    common: input,
    invoke: (meter, scope) => {
      const subject = makeSubject({ model: organism.model, card: organism.card, access: detector.meta.access, meter, sampleSeed: input.seed, scope });
      const ctx = context(input.options, detectSeed(input.seed), meter.asBudget(), controller, input.log);
      const state = input.state === undefined ? undefined : structuredClone(input.state);
      return underWallBudget(async () => detector.detect(subject as never, ctx, state as never), input.limits.wallSeconds, input.hangGraceMs ?? HANG_GRACE_MS, controller);
    },
  });
  return finishDetect(r);
}

type Guarded = Awaited<ReturnType<typeof guarded<unknown>>>;

/** The verdict check after the call, shared by both ways of running a cell. */
function finishDetect(r: Guarded, valueIssues?: string[]): CellOutcome {
  const { returned, value, ...rest } = r;
  // The verdict is checked when the call returned within its budget; its problem goes before the
  // tensor and mutation ones, which a runner reports only when nothing more basic went wrong.
  if (returned && !rest.problems.some((p) => p.reason === 'budget' || p.reason === 'forbidden')) {
    if (valueIssues?.length) {
      rest.problems.unshift({ reason: 'invalid-verdict', message: `detect() returned a verdict that cannot leave its process (plain data only):\n${valueIssues.join('\n')}` });
      return rest;
    }
    const v = validateVerdict(value);
    if (!v.value) rest.problems.unshift({ reason: 'invalid-verdict', message: `detect() returned an invalid verdict (validateVerdict):\n${v.errors.join('\n')}` });
    else if (rest.problems.length === 0) return { ...rest, verdict: v.value };
  }
  return rest;
}

/**
 * Runs `configure()` on the dev-split references: subjects at the detector's access level (the
 * each sampling with {@link referenceSeed} of its id), the budget of one cell per reference, `ctx.signal`
 * aborted at that wall budget, the leak and mutation checks, and the state checked to be
 * structured-cloneable plain data (runners pass it between processes). Disposes every reference
 * model on every path. A detector without `configure()` gives `{ ran: false }`.
 */
export async function runConfigure(input: ConfigureInput): Promise<ConfigureOutcome> {
  const { detector } = input;
  const configure = detector.configure?.bind(detector);
  if (typeof configure !== 'function') {
    for (const o of input.references) o.model.dispose();
    return { ran: false, problems: [], usage: { queries: 0, finetuneSteps: 0, wallSeconds: 0 }, seconds: 0, tensorDelta: 0, retire: false };
  }
  const limits = configureLimits(input.limits, input.references.length);
  const controller = new AbortController();
  const r = await guarded({
    what: 'configure()',
    organisms: input.references,
    limits,
    common: input,
    invoke: (meter, scope) => {
      const reference: ReferenceOrganism[] = input.references.map((o) => ({
        subject: makeSubject({ model: o.model, card: o.card, access: detector.meta.access, meter, sampleSeed: referenceSeed(input.seed, o.card.id), scope }),
        truth: structuredClone(o.truth),
      }));
      const ctx = context(input.options, input.seed, meter.asBudget(), controller, input.log);
      return underWallBudget(async (): Promise<unknown> => configure(Object.freeze(reference) as never, ctx), limits.wallSeconds, input.hangGraceMs ?? HANG_GRACE_MS, controller);
    },
  });
  return finishConfigure(r);
}

/** The state check after configure(), shared by both ways of running it. */
function finishConfigure(r: Guarded, valueIssues?: string[]): ConfigureOutcome {
  const { returned, value, ...rest } = r;
  const out: ConfigureOutcome = { ran: true, ...rest };
  if (returned && !rest.problems.some((p) => p.reason === 'budget' || p.reason === 'forbidden')) {
    const issues = valueIssues ?? stateIssues(value);
    let state: unknown;
    if (issues.length) {
      out.problems.push({
        reason: 'invalid-state',
        message: `configure() returned state that is not structured-cloneable plain data (the runner passes it between processes):\n${issues.join('\n')}`,
      });
    } else {
      try {
        state = structuredClone(value);
      } catch (e) {
        out.problems.push({
          reason: 'invalid-state',
          message: `configure() returned state that structuredClone rejects (the runner passes it between processes): ${(e as Error).message}`,
        });
      }
    }
    if (out.problems.length === 0) out.state = state;
  }
  return out;
}

/** The detector, in its own process (see remote.ts): its entry, and the access level the runner read from its meta. */
export interface RemoteDetector {
  process: DetectorProcess;
  backend: string;
  entry: string;
  where: string;
  access: Access;
}

type RemoteCommon = Omit<Common, 'detector' | 'checkGlobals'> & { detector: RemoteDetector };
export interface RemoteCellInput extends RemoteCommon {
  organism: HarnessOrganism;
  state?: unknown;
  seed: number;
}
export interface RemoteConfigureInput extends RemoteCommon {
  references: Array<HarnessOrganism & { truth: ReferenceTruth }>;
  seed: number;
}

/**
 * One call in the detector process: the job under the wall budget (an abort goes over IPC; a hung
 * process is killed), the subject calls answered from `server`, and its report kept for the checks.
 */
async function remoteCall(
  input: RemoteCommon,
  job: Omit<Exclude<DetectorJob, { kind: 'inspect' }>, keyof RemoteDetectorJobBase>,
  server: SubjectServer,
  limits: BudgetLimits,
  controller: AbortController,
  setSide: (s: RemoteSide) => void,
): Promise<unknown> {
  const d = input.detector;
  const onAbort = () => d.process.abort(String((controller.signal.reason as Error | undefined)?.message ?? 'budget exceeded: wall seconds'));
  controller.signal.addEventListener('abort', onAbort, { once: true });
  const side: RemoteSide = { tensorDelta: 0, changed: [], forbidden: server.forbidden };
  setSide(side);
  let reply: DetectorReply;
  try {
    const run = d.process
      .run({ ...job, backend: d.backend, entry: d.entry, where: d.where, access: d.access }, { serve: (c) => server.serve(c), used: () => server.used(), log: input.log })
      .catch((e: { code?: string; message?: string }) => {
        throw new ProcessGone(e?.code === 'SANDTRAP_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed', String(e?.message));
      });
    reply = await underWallBudget(() => run, limits.wallSeconds, input.hangGraceMs ?? HANG_GRACE_MS, controller);
  } catch (e) {
    // A detector that ignores the abort is stopped here, and its process with it: the organism was never in it.
    if (e instanceof Hung) d.process.kill();
    throw e;
  } finally {
    controller.signal.removeEventListener('abort', onAbort);
  }
  side.tensorDelta = typeof reply.tensorDelta === 'number' ? reply.tensorDelta : 0;
  side.changed = Array.isArray(reply.changed) ? reply.changed.map(String) : [];
  if (reply.valueIssues) side.valueIssues = reply.valueIssues.map(String);
  if (reply.forwardQueries) {
    try {
      server.forward(reply.forwardQueries);
    } catch {
      // Over budget: the check after the call sees the meter's count.
    }
  }
  if (reply.loadErrors) throw new LoadFailed(reply.loadErrors.join('; '));
  if (reply.error) throw deserializeError(reply.error);
  return reply.value;
}

type RemoteDetectorJobBase = { backend: string; entry: string; where: string; access: Access };

/**
 * {@link runCell} with the detector in its own process: the organism, its copies and the meter
 * stay here, the detector gets proxies. Same seeds, same subjects, same checks, so the same verdicts;
 * a retired outcome means the detector process should go (call `process.kill()`), not this one.
 */
export async function runRemoteCell(input: RemoteCellInput): Promise<CellOutcome> {
  const { organism } = input;
  const controller = new AbortController();
  let side: RemoteSide | undefined;
  const r = await guarded({
    what: 'detect()',
    organisms: [organism],
    limits: input.limits,
    common: { ...input, detector: undefined as never },
    remote: () => side ?? { tensorDelta: 0, changed: [], forbidden: [] },
    invoke: async (meter, scope) => {
      const server = new SubjectServer(input.detector.access, meter, scope);
      const subject = await server.add(organism.model, organism.card, input.seed);
      const job = { kind: 'detect' as const, options: input.options, limits: input.limits, rngSeed: detectSeed(input.seed), subjects: [subject], state: input.state };
      return remoteCall(input, job, server, input.limits, controller, (s) => (side = s));
    },
  });
  return finishDetect(r, side?.valueIssues);
}

/** {@link runConfigure} with the detector in its own process (see {@link runRemoteCell}). */
export async function runRemoteConfigure(input: RemoteConfigureInput): Promise<ConfigureOutcome> {
  const limits = configureLimits(input.limits, input.references.length);
  const controller = new AbortController();
  let side: RemoteSide | undefined;
  const r = await guarded({
    what: 'configure()',
    organisms: input.references,
    limits,
    common: { ...input, detector: undefined as never },
    remote: () => side ?? { tensorDelta: 0, changed: [], forbidden: [] },
    invoke: async (meter, scope) => {
      const server = new SubjectServer(input.detector.access, meter, scope);
      const subjects: ProxyInfo[] = [];
      for (const o of input.references) subjects.push(await server.add(o.model, o.card, referenceSeed(input.seed, o.card.id)));
      const job = { kind: 'configure' as const, options: input.options, limits, rngSeed: input.seed, subjects, truths: input.references.map((o) => structuredClone(o.truth)) };
      return remoteCall(input, job, server, limits, controller, (s) => (side = s));
    },
  });
  return finishConfigure(r, side?.valueIssues);
}
