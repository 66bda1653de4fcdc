import { getTf, initBackend, modelFromBytes, parseBackendRequest, type Card } from '@sandtrap/core';
import { RETIRE, serveTasks } from '@sandtrap/core/internal';
import { DetectorProcess, runRemoteCell, runRemoteConfigure, type HarnessOrganism, type RemoteDetector } from '@sandtrap/harness';
import type { ConfigureResult, DetectResult, DetectorIsolation, OrganismBytes, WorkerTask } from './protocol.js';

/**
 * One cell worker: it receives organisms as bytes (never a path, never a test-split truth), holds
 * them, their copies and the budget meter, and runs each cell through `@sandtrap/harness` with the
 * detector in a process of its own (dist/detector-worker.js, started in the sandbox), which gets
 * proxy subjects over IPC. So no detector code runs here: a black-box detector never has the
 * weights in its process, and the meter counts where it cannot reach.
 */
const processes = new Map<string, DetectorProcess>();
const fromSource = import.meta.url.endsWith('.ts');
/**
 * Detector processes kept alive at once. A scoreboard's cell workers serve every detector, the
 * earlier ones first, so a worker moves from one detector to the next and seldom goes back: the
 * least recently used process is stopped past this many.
 */
const KEEP = 3;

function detectorProcess(entry: string, isolation: DetectorIsolation): DetectorProcess {
  const key = JSON.stringify([entry, isolation]);
  let p = processes.get(key);
  if (p) {
    processes.delete(key); // re-inserted last: the Map's order is the recency order
  } else {
    p = new DetectorProcess({ file: new URL(`./detector-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url), execArgv: isolation.execArgv, launcher: isolation.launcher });
    for (const [k, old] of processes) {
      if (processes.size < KEEP) break;
      old.kill();
      processes.delete(k);
    }
  }
  processes.set(key, p);
  return p;
}

function organism(o: OrganismBytes & { id: string }, label: string): HarnessOrganism {
  return { model: modelFromBytes(o.card as Card, o.manifestText, o.weights), card: o.card as Card, label };
}

/**
 * A detector process that left itself unclean (leaked tensors, changed globals, hung) is killed, and
 * the next cell starts a fresh one; under `--fresh-process`, every detector process is. This
 * process retires only if its own engine lost count.
 */
function settle<T extends { retire: boolean }>(out: T, p: DetectorProcess, before: number, fresh: boolean): T {
  if (out.retire || fresh) p.kill();
  const leaked = getTf().memory().numTensors !== before;
  return leaked ? { ...out, retire: true, [RETIRE]: true } : { ...out, retire: false };
}

async function handle(task: WorkerTask, progress: (d: unknown) => void): Promise<DetectResult | ConfigureResult> {
  await initBackend(parseBackendRequest(task.backend, 'backend'));
  const p = detectorProcess(task.entry, task.isolation);
  const job = { backend: task.backend, entry: task.entry, where: task.where };
  const detector: RemoteDetector = { process: p, ...job, access: task.access };
  const log = (m: string) => progress({ log: m.slice(0, 500) });
  const common = { detector, options: task.options, limits: task.budget, log };
  const before = getTf().memory().numTensors;
  const fresh = task.isolation.freshProcess === true;
  if (task.type === 'configure') {
    const references: Parameters<typeof runRemoteConfigure>[0]['references'] = [];
    try {
      for (const r of task.references) references.push({ ...organism(r, `dev organism ${r.id}`), truth: r.truth });
    } catch (e) {
      for (const r of references) r.model.dispose();
      throw e;
    }
    return settle(await runRemoteConfigure({ ...common, references, seed: task.seed }), p, before, fresh);
  }
  return settle(await runRemoteCell({ ...common, organism: organism(task.organism, `organism ${task.organism.id}`), state: task.state, seed: task.seed }), p, before, fresh);
}

serveTasks((payload, progress) => handle(payload as WorkerTask, progress));
