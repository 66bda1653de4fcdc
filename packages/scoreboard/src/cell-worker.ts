import { initBackend, modelFromBytes, parseBackendRequest, type Card } from '@sandtrap/core';
import { RETIRE, serveTasks } from '@sandtrap/core/internal';
import { checkDetectorShape, type AnyDetector, type ReferenceTruth } from '@sandtrap/detector-api';
import { runCell, runConfigure, snapshotGlobals, type GlobalsSnapshot, type HarnessOrganism } from '@sandtrap/harness';
import type { ConfigureResult, DetectResult, InspectResult, OrganismBytes, WorkerTask } from './protocol.js';

/**
 * One isolated worker process. It receives organisms as bytes (never a path, never a test-split
 * truth), imports the detector, and runs one task at a time through `@sandtrap/harness` — the
 * same cell the detector tester runs. Under the built CLI it runs with Node's permission model:
 * it may read code (packages, node_modules), nothing else.
 */
const modules = new Map<string, AnyDetector>();
/** The worker's globals before any detector was imported (see the harness's checkGlobals). */
let baseline: GlobalsSnapshot | undefined;

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

function organism(o: OrganismBytes & { id: string }, label: string): HarnessOrganism {
  return { model: modelFromBytes(o.card as Card, o.manifestText, o.weights), card: o.card as Card, label };
}

/** A process whose engine the detector left unclean (leaked tensors, still running) serves no other cell. */
function retiring<T extends { retire: boolean }>(out: T): T {
  return out.retire ? { ...out, [RETIRE]: true } : out;
}

async function handle(task: WorkerTask, progress: (d: unknown) => void): Promise<InspectResult | DetectResult | ConfigureResult> {
  await initBackend(parseBackendRequest(task.backend, 'backend'));
  // The process as it was before any detector code ran: every call is checked against it.
  baseline ??= snapshotGlobals();
  const { detector, errors } = await loadDetector(task.entry, task.where);
  if (task.type === 'inspect') {
    if (!detector) return { errors };
    return {
      errors: [],
      meta: detector.meta,
      options: detector.options ?? null,
      hasConfigure: typeof detector.configure === 'function',
    };
  }
  const none = { usage: { queries: 0, finetuneSteps: 0, wallSeconds: 0 }, seconds: 0, tensorDelta: 0, retire: false };
  if (!detector) return { ...none, ran: false, problems: [{ reason: 'invalid-plugin', message: errors.join('; ') }] };
  const log = (m: string) => progress({ log: m.slice(0, 500) });
  const common = { detector, options: task.options, limits: task.budget, log, checkGlobals: baseline };
  if (task.type === 'configure') {
    const references: Array<HarnessOrganism & { truth: ReferenceTruth }> = [];
    try {
      for (const r of task.references) references.push({ ...organism(r, `dev organism ${r.id}`), truth: r.truth });
    } catch (e) {
      for (const r of references) r.model.dispose();
      throw e;
    }
    return retiring(await runConfigure({ ...common, references, seed: task.seed }));
  }
  return retiring(await runCell({ ...common, organism: organism(task.organism, `organism ${task.organism.id}`), state: task.state, seed: task.seed }));
}

serveTasks((payload, progress) => handle(payload as WorkerTask, progress));
