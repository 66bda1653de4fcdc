import {
  BudgetMeter,
  createSubject,
  getTf,
  initBackend,
  modelFromBytes,
  parseBackendRequest,
  RETIRE,
  Rng,
  serveTasks,
  SubjectScope,
  type BudgetLimits,
  type Card,
  type Model,
} from '@sandtrap/core';
import { checkDetectorShape, validateVerdict, type AnyDetector, type ReferenceTruth } from '@sandtrap/detector-api';
import { detectSeed } from './seeds.js';
import type { CellFailure, CellOutcome, InspectResult, OrganismBytes, WorkerTask } from './protocol.js';

/**
 * One isolated worker process. It receives organisms as bytes (never a path, never a test-split
 * truth), imports the detector, and runs one task at a time. Under the built CLI it runs with
 * Node's permission model: it may read code (packages, node_modules), nothing else.
 */
const modules = new Map<string, AnyDetector>();

async function loadDetector(entry: string, where: string): Promise<{ detector?: AnyDetector; errors: string[] }> {
  const cached = modules.get(entry);
  if (cached) return { detector: cached, errors: [] };
  let mod: Record<string, unknown>;
  try {
    mod = (await import(entry)) as Record<string, unknown>;
  } catch (e) {
    return { errors: [`cannot import ${where}: ${(e as Error).message.split('\n')[0]}`] };
  }
  const r = checkDetectorShape(mod.default, where);
  if (!r.value) return { errors: r.errors };
  modules.set(entry, r.value);
  return { detector: r.value, errors: [] };
}

function fail(reason: CellFailure['reason'], e: unknown): CellFailure {
  const msg = e instanceof Error ? e.message : String(e);
  return { status: 'error', reason, message: msg.split('\n')[0]!.slice(0, 500) };
}

function reasonOf(e: unknown): CellFailure['reason'] {
  const code = (e as { code?: string })?.code;
  if (code === 'SANDTRAP_BUDGET_EXCEEDED') return 'budget';
  return 'threw';
}

function context(options: Record<string, unknown>, seed: number, meter: BudgetMeter, log: (m: string) => void) {
  const rng = new Rng(seed);
  return {
    tf: getTf(),
    rng: { float: () => rng.float(), int: (n: number) => rng.int(n), normal: () => rng.normal() },
    log,
    signal: new AbortController().signal,
    options,
    budget: meter.asBudget(),
  };
}

function load(o: OrganismBytes): Model {
  return modelFromBytes(o.card as Card, o.manifestText, o.weights);
}

async function handle(task: WorkerTask, progress: (d: unknown) => void): Promise<InspectResult | CellOutcome> {
  await initBackend(parseBackendRequest(task.backend, 'backend'));
  const { detector, errors } = await loadDetector(task.entry, task.where);
  if (task.type === 'inspect') {
    if (!detector) return { errors };
    return { errors: [], meta: detector.meta as InspectResult['meta'], options: (detector.options as Record<string, unknown>) ?? null, hasConfigure: typeof detector.configure === 'function' };
  }
  if (!detector) return { status: 'error', reason: 'invalid-plugin', message: errors.join('; ') };
  const tf = getTf();
  const log = (m: string) => progress({ log: String(m).slice(0, 500) });
  const meter = new BudgetMeter(task.budget as BudgetLimits);
  const scope = new SubjectScope();
  const access = detector.meta.access;
  const t0 = performance.now();

  if (task.type === 'configure') {
    const models = task.references.map((r) => load(r));
    try {
      const reference = task.references.map((r, i) => ({
        subject: createSubject({ model: models[i]!, card: r.card as Card, access, meter, sampleSeed: task.seed + i }, scope),
        truth: r.truth as ReferenceTruth,
      }));
      let state: unknown;
      try {
        state = await detector.configure!(reference as never, context(task.options, task.seed, meter, log) as never);
      } catch (e) {
        return fail(reasonOf(e), e);
      }
      try {
        structuredClone(state);
      } catch (e) {
        return { status: 'error', reason: 'invalid-state', message: `configure() returned a state that cannot be passed to detect() cells (not structured-cloneable): ${(e as Error).message}` };
      }
      return { status: 'ok', state, seconds: (performance.now() - t0) / 1000, usage: meter.used() };
    } finally {
      scope.disposeAll();
      for (const m of models) m.dispose();
    }
  }

  const model = load(task.organism);
  const before = tf.memory().numTensors;
  let raw: unknown;
  try {
    const subject = createSubject({ model, card: task.organism.card as Card, access, meter, sampleSeed: task.seed }, scope);
    raw = await detector.detect(subject as never, context(task.options, detectSeed(task.seed), meter, log) as never, task.state as never);
  } catch (e) {
    return fail(reasonOf(e), e);
  } finally {
    scope.disposeAll();
  }
  const leaked = tf.memory().numTensors - before;
  model.dispose();
  const usage = meter.used();
  const seconds = (performance.now() - t0) / 1000;
  if (leaked > 0) {
    // The engine now holds tensors nobody owns: this process is not clean for the next cell.
    return { status: 'error', reason: 'leaked-tensors', message: `detect() left ${leaked} tensor(s) allocated; wrap tensor work in ctx.tf.tidy() or dispose() what you create`, seconds, usage, [RETIRE]: true } as CellOutcome;
  }
  const v = validateVerdict(raw);
  if (!v.value) return { status: 'error', reason: 'invalid-verdict', message: `invalid verdict: ${v.errors.join('; ')}`, seconds, usage };
  return { status: 'ok', verdict: v.value, seconds, usage };
}

serveTasks((payload, progress) => handle(payload as WorkerTask, progress));
