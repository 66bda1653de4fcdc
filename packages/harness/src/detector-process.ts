import { getTf, initBackend, Model, parseBackendRequest, SandtrapError } from '@sandtrap/core';
import { createSubjectTask } from '@sandtrap/core/internal';
import { checkDetectorShape, type AnyDetector, type BudgetUsage } from '@sandtrap/detector-api';
import type * as tfc from '@tensorflow/tfjs-core';
import { globalsChanged, snapshotGlobals, type GlobalsSnapshot } from './globals.js';
import { hostError, serializeError, type DetectorJob, type DetectorReply, type LocalModelData, type ProxyInfo, type SubjectCall } from './remote.js';
import { context } from './run-cell.js';
import { stateIssues } from './state.js';

/**
 * The detector process's side of {@link DetectorProcess}: it imports the detector and runs one job
 * at a time with proxy subjects. It holds no organism (white-box aside: a copy of the weights for
 * `forward()`), no meter and no truth of the test split.
 */

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** Module instances imported for jobs so far. */
let instances = 0;
const pending = new Map<number, Pending>();
let nextCall = 1;
/** The host's meter count, as of its last answer. */
let mirror: BudgetUsage = { queries: 0, finetuneSteps: 0, wallSeconds: 0 };
/** White-box forward rows not yet reported. */
let forwardRows = 0;
let controller: AbortController | undefined;
let baseline: GlobalsSnapshot | undefined;

function send(msg: object): void {
  process.send?.(msg);
}

/** One subject call to the host; the forward rows run since the last one go with it. */
function call<T>(c: SubjectCall): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const id = nextCall++;
    const fq = forwardRows;
    try {
      send({ t: 'call', id, call: { ...c, ...(fq ? { fq } : {}) } });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    forwardRows = 0;
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
  });
}

/**
 * The detector for a job. `inspect` imports the module as it is (once: an inspecting process runs
 * nothing else); every `detect` and `configure` job gets an instance of the module never used before (its URL carries the job's number), so what a
 * detector keeps in its module's top-level variables does not reach its next cell. A bundled
 * detector (one file, as tsup builds one) has all its own code in that module; the modules it
 * imports, and Node's and TensorFlow.js's, are shared by the jobs of this process.
 */
async function load(entry: string, where: string, fresh: boolean): Promise<{ detector?: AnyDetector; errors: string[] }> {
  const url = fresh ? `${entry}${entry.includes('?') ? '&' : '?'}sandtrap-job=${++instances}` : entry;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    return { errors: [`cannot import ${where}: ${(e as Error).message.split('\n')[0]}`] };
  }
  const r = checkDetectorShape(mod.default, where);
  if (!r.value) return { errors: r.errors };
  return { detector: r.value, errors: [] };
}

function localModel(arch: Omit<LocalModelData, 'weights'>, weights: LocalModelData['weights'], locals: Set<Model>): Model {
  const m = Model.fromArrays(arch.archName, arch.dims, arch.hyper, weights);
  locals.add(m);
  return m;
}

/** The proxy of one subject, the same plain frozen objects per access level as core's `createSubject`. */
function proxy(info: ProxyInfo, job: Exclude<DetectorJob, { kind: 'inspect' }>, locals: Set<Model>): Record<string, unknown> {
  const { card } = info;
  const { access, limits } = job;
  const task = createSubjectTask(card, info.sampleSeed);
  const arch = info.local;
  const built = new Map<number, Model>();
  return build(info.h, arch ? lazy(arch.weights) : undefined, true);

  /** The white-box copy for `forward()`, built on its first call: a detector that never calls it pays nothing. */
  function lazy(weights: LocalModelData['weights']): () => Model {
    let m: Model | undefined;
    return () => (m ??= localModel(arch!, weights, locals));
  }

  function build(h: number, local: (() => Model) | undefined, original: boolean): Record<string, unknown> {
    const predict = (tokens: Int32Array, n: number) => call<Float32Array>({ op: 'predict', h, tokens, n });
    const black = { card, task, predict };
    if (access === 'black-box') return Object.freeze(black);
    let read: Promise<LocalModelData['weights']> | undefined;
    const perturbed = async (fn: (name: string, values: Float32Array, shape: readonly number[]) => Float32Array) => {
      // A subject's weights never change: fetched once, and each transform gets a copy of its own (it may write to it).
      const w = await (read ??= call<LocalModelData['weights']>({ op: 'read', h }));
      const arrays: Record<string, Float32Array> = {};
      for (const [name, p] of Object.entries(w)) arrays[name] = fn(name, p.values.slice(), [...p.shape]);
      const r = await call<{ h: number }>({ op: 'perturbed', h, arrays });
      const copy = arch ? lazy(Object.fromEntries(Object.entries(w).map(([k, p]) => [k, { shape: p.shape, values: arrays[k]! }]))) : undefined;
      return build(r.h, copy, false);
    };
    const finetune = async (examples: { n: number; tokens: Int32Array; labels: Int32Array }, o: { steps: number; learningRate?: number; batchSize?: number }) => {
      const ex = examples && typeof examples === 'object' ? { n: examples.n, tokens: examples.tokens, labels: examples.labels } : examples;
      const r = await call<{ h: number; weights?: LocalModelData['weights'] }>({ op: 'finetune', h, examples: ex, opts: o });
      return build(r.h, arch && r.weights ? lazy(r.weights) : undefined, false);
    };
    const dispose = () => {
      if (original) return;
      call({ op: 'dispose', h }).catch(() => undefined);
      const m = built.get(h);
      if (m && locals.delete(m)) m.dispose();
    };
    const gray = { ...black, perturbed, finetune, dispose };
    if (access === 'gray-box') return Object.freeze(gray);
    return Object.freeze({
      ...gray,
      weights: () => call({ op: 'weights', h }),
      activations: (tokens: Int32Array, n: number, sites: readonly string[]) => call({ op: 'activations', h, tokens, n, sites: [...sites] }),
      forward: (oneHot: tfc.Tensor3D): tfc.Tensor2D => {
        const [B = 0, L, V] = oneHot.shape;
        if (L !== card.task.seqLen || V !== card.task.vocab.length) {
          throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `forward: input shape [${oneHot.shape.join(', ')}] must be [B, ${card.task.seqLen}, ${card.task.vocab.length}]`);
        }
        forwardRows += B;
        const q = mirror.queries + forwardRows;
        if (q > limits.queries) throw new SandtrapError('SANDTRAP_BUDGET_EXCEEDED', `budget exceeded: queries ${q} > ${limits.queries}`);
        const m = local!();
        built.set(h, m);
        return m.forward({ oneHot }).logits;
      },
    });
  }
}

const liveTensors = () => getTf().memory().numTensors;

async function runJob(job: DetectorJob): Promise<DetectorReply> {
  await initBackend(parseBackendRequest(job.backend, 'backend'));
  // The process as it was before any detector code ran: every job is checked against it.
  baseline ??= snapshotGlobals();
  const { detector, errors } = await load(job.entry, job.where, job.kind !== 'inspect');
  if (job.kind === 'inspect') {
    if (!detector) return { errors };
    return { errors: [], meta: detector.meta, options: detector.options ?? null, hasConfigure: typeof detector.configure === 'function' };
  }
  if (!detector) return { loadErrors: errors };
  mirror = { queries: 0, finetuneSteps: 0, wallSeconds: 0 };
  forwardRows = 0;
  const start = performance.now();
  const t0 = liveTensors();
  const locals = new Set<Model>();
  const ctrl = new AbortController();
  controller = ctrl;
  const budget = {
    ...job.limits,
    used: (): BudgetUsage => ({
      queries: mirror.queries + forwardRows,
      finetuneSteps: mirror.finetuneSteps,
      wallSeconds: Math.round(performance.now() - start) / 1000,
    }),
  };
  const ctx = context(job.options, job.rngSeed, budget, ctrl, (line) => send({ t: 'log', line: line.slice(0, 500) }));
  const out: DetectorReply = {};
  try {
    const subjects = job.subjects.map((s) => proxy(s, job, locals));
    if (job.kind === 'detect') {
      out.value = await detector.detect(subjects[0] as never, ctx, job.state);
    } else {
      const configure = detector.configure?.bind(detector);
      if (typeof configure !== 'function') throw new Error('configure() is not a function');
      const reference = subjects.map((subject, i) => ({ subject, truth: job.truths?.[i] }));
      out.value = await configure(Object.freeze(reference) as never, ctx);
    }
    out.returned = true;
  } catch (e) {
    out.error = serializeError(e);
  } finally {
    controller = undefined;
    for (const m of locals) m.dispose();
  }
  if (out.returned) {
    const issues = job.kind === 'configure' ? stateIssues(out.value) : [];
    if (!issues.length) {
      try {
        structuredClone(out.value);
      } catch (e) {
        issues.push(`not structured-cloneable: ${(e as Error).message}`);
      }
    }
    if (issues.length) {
      out.valueIssues = issues;
      delete out.value;
    }
  }
  out.tensorDelta = liveTensors() - t0;
  out.changed = globalsChanged(baseline, snapshotGlobals());
  out.forwardQueries = forwardRows;
  forwardRows = 0;
  return out;
}

/** The detector process's main loop: jobs from the host, answers to this process's subject calls, aborts. */
export function serveDetectorJobs(): void {
  // A killed host must not leave an orphan running a detector.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: { t?: string; id?: number; job?: DetectorJob; ok?: boolean; value?: unknown; error?: never; used?: BudgetUsage; message?: string }) => {
    if (m?.t === 'reply' && typeof m.id === 'number') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.used) mirror = m.used;
      if (m.ok) p.resolve(m.value);
      else p.reject(hostError(m.error ?? { name: 'Error', message: 'the host refused the call' }));
    } else if (m?.t === 'abort') {
      controller?.abort(new SandtrapError('SANDTRAP_BUDGET_EXCEEDED', String(m.message)));
    } else if (m?.t === 'job' && m.job) {
      const id = m.id;
      const failed = (e: unknown) => send({ t: 'failed', job: id, error: serializeError(e) });
      runJob(m.job).then((reply) => {
        try {
          send({ t: 'done', job: id, reply });
        } catch (e) {
          failed(e);
        }
      }, failed);
    }
  });
}
