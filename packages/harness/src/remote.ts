import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSubject, isErrorCode, Model, SandtrapError, type Access, type BudgetLimits, type BudgetMeter, type Card, type SubjectScope } from '@sandtrap/core';
import type { BudgetUsage, ReferenceTruth } from '@sandtrap/detector-api';

/**
 * The organism and the detector in two processes.
 *
 * The **host** (the scoreboard's cell worker: trusted, it runs no detector code) holds the
 * organism's weights, the budget meter and the subjects' copies. The **detector process** imports
 * the detector and hands it a proxy subject whose every call that touches the organism crosses IPC
 * as one message per batch. So a black-box detector never has the weights in its process (no patch
 * of `ctx.tf` can capture them), the meter counts where the detector cannot reach it, and a call
 * beyond the detector's access level, forged by hand on the IPC channel, is refused and fails the
 * cell (`forbidden`).
 *
 * The one exception is white-box `forward()`: it must be synchronous (for `tf.grad`), so the
 * detector process holds a copy of the weights (a white-box detector may read them anyway) and
 * reports the rows it ran with its next call; the host adds them to the meter then.
 */

/** An error as it crosses IPC: enough to classify it (code, an abort's cause) and to show where it was thrown. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: { message: string; code?: string };
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  const cause = (e as { cause?: unknown }).cause;
  const causeCode = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
  const c = cause instanceof Error ? { message: cause.message, ...(typeof causeCode === 'string' ? { code: causeCode } : {}) } : undefined;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), ...(e.stack ? { stack: e.stack } : {}), ...(c ? { cause: c } : {}) };
}

/** The error again, on the other side: same name, message, code, stack and cause code. */
export function deserializeError(s: SerializedError): Error {
  const e = new Error(s.message) as Error & { code?: string };
  e.name = s.name;
  if (s.code) e.code = s.code;
  if (s.stack) e.stack = s.stack;
  if (s.cause) e.cause = Object.assign(new Error(s.cause.message), s.cause.code ? { code: s.cause.code } : {});
  return e;
}

/** What a white-box detector process needs to run `forward()` itself. */
export interface LocalModelData {
  archName: string;
  dims: Model['dims'];
  hyper: Record<string, number>;
  weights: Record<string, { shape: number[]; values: Float32Array }>;
}

/** One subject as the detector process builds it: a handle on the host's, the card, and the sampler's seed. */
export interface ProxyInfo {
  h: number;
  card: Card;
  sampleSeed: number;
  /** White-box only. */
  local?: LocalModelData;
}

interface JobBase {
  backend: string;
  entry: string;
  where: string;
}

/** What the host asks its detector process to do. */
export type DetectorJob =
  | (JobBase & { kind: 'inspect' })
  | (JobBase & {
      kind: 'detect' | 'configure';
      access: Access;
      options: Record<string, unknown>;
      limits: BudgetLimits;
      /** Seeds `ctx.rng`. */
      rngSeed: number;
      subjects: ProxyInfo[];
      /** configure(): each subject's dev-split truth, in order. */
      truths?: ReferenceTruth[];
      /** detect(): configure()'s state. */
      state?: unknown;
    });

/** What the detector process answers. Its checks of its own process (tensors, globals) are its word: they protect only its own later cells. */
export interface DetectorReply {
  /** inspect */
  errors?: string[];
  meta?: unknown;
  options?: Record<string, unknown> | null;
  hasConfigure?: boolean;
  /** The detector could not be loaded (inspect says why in `errors`). */
  loadErrors?: string[];
  returned?: boolean;
  value?: unknown;
  error?: SerializedError;
  /** Why the returned value could not cross to the host (not structured-cloneable, or not plain data for a state). */
  valueIssues?: string[];
  tensorDelta?: number;
  changed?: string[];
  /** White-box `forward()` rows not yet reported with a call. */
  forwardQueries?: number;
}

/** A subject call from the detector process. `fq`: forward rows run since the last call. */
export type SubjectCall =
  | { op: 'predict'; h: number; tokens: Int32Array; n: number; fq?: number }
  | { op: 'read' | 'weights' | 'dispose'; h: number; fq?: number }
  | { op: 'perturbed'; h: number; arrays: Record<string, Float32Array>; fq?: number }
  | { op: 'finetune'; h: number; examples: { n: number; tokens: Int32Array; labels: Int32Array }; opts: { steps: number; learningRate?: number; batchSize?: number }; fq?: number }
  | { op: 'activations'; h: number; tokens: Int32Array; n: number; sites: string[]; fq?: number };

const LEVEL: Record<Access, number> = { 'black-box': 0, 'gray-box': 1, 'white-box': 2 };
/** The access level each call needs. `read` gives `perturbed()`'s transform the values it transforms, as the contract says it does. */
const NEEDS: Record<string, Access> = {
  predict: 'black-box',
  read: 'gray-box',
  perturbed: 'gray-box',
  finetune: 'gray-box',
  dispose: 'gray-box',
  weights: 'white-box',
  activations: 'white-box',
};

type HostSubject = {
  predict(tokens: Int32Array, n: number): Promise<Float32Array>;
  perturbed(fn: (name: string, values: Float32Array, shape: readonly number[]) => Float32Array): Promise<HostSubject>;
  finetune(examples: unknown, opts: unknown): Promise<HostSubject>;
  dispose(): void;
  weights(): Promise<Record<string, { shape: number[]; values: Float32Array }>>;
  activations(tokens: Int32Array, n: number, sites: readonly string[]): Promise<unknown>;
};

/**
 * The host's side: the subjects a detector process may call, by handle, at its access level. The
 * host builds each one white-box (it is trusted) and answers only the calls the level allows.
 */
export class SubjectServer {
  private readonly subjects = new Map<number, HostSubject>();
  private next = 1;
  private readonly arch = new Map<number, Omit<LocalModelData, 'weights'>>();
  private readonly cards = new Map<number, Card>();
  private readonly seeds = new Map<number, number>();
  /** Weights read for `perturbed()`, by handle. */
  private readonly values = new Map<number, LocalModelData['weights']>();
  /** Copies this server built itself (`perturbed`), freed by handle. */
  private readonly owned = new Map<number, Model>();
  /** Calls refused because they went past the access level or named no subject (each kind once): they fail the cell. */
  readonly forbidden: string[] = [];

  private refuse(what: string): void {
    if (!this.forbidden.includes(what)) this.forbidden.push(what);
  }

  constructor(
    private readonly access: Access,
    private readonly meter: BudgetMeter,
    private readonly scope: SubjectScope,
  ) {}

  /** Serves an organism; what the detector process needs to build its proxy. */
  async add(model: Model, card: Card, sampleSeed: number): Promise<ProxyInfo> {
    const s = createSubject({ model, card, access: 'white-box', meter: this.meter, sampleSeed }, this.scope) as unknown as HostSubject;
    const h = this.next++;
    this.subjects.set(h, s);
    const arch = { archName: model.archName, dims: model.dims, hyper: model.hyper };
    this.arch.set(h, arch);
    this.cards.set(h, card);
    this.seeds.set(h, sampleSeed);
    return { h, card, sampleSeed, ...(this.access === 'white-box' ? { local: { ...arch, weights: model.weights() } } : {}) };
  }

  /** The meter's count, sent with every answer so the detector's `ctx.budget.used()` stays current. */
  used(): BudgetUsage {
    return this.meter.used();
  }

  async serve(c: SubjectCall): Promise<unknown> {
    const op = String((c as { op?: unknown })?.op);
    const need = NEEDS[op];
    if (!need || LEVEL[this.access] < LEVEL[need]) {
      this.refuse(need ? `${op}() needs ${need} access; the detector declared ${this.access}` : `unknown call '${op.slice(0, 40)}'`);
      throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', need ? `${op} is not available at ${this.access} access` : `no such subject call: ${op.slice(0, 40)}`);
    }
    const s = this.subjects.get(c.h);
    if (!s) {
      this.refuse(`${op}() on subject handle ${String(c.h).slice(0, 20)}, which the host never gave out`);
      throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `${op}: no such subject`);
    }
    if (typeof c.fq === 'number' && c.fq > 0) this.forward(c.fq);
    switch (c.op) {
      case 'predict':
        return s.predict(c.tokens, c.n);
      case 'read':
        return this.read(c.h);
      case 'weights':
        return s.weights();
      case 'dispose': {
        const own = this.owned.get(c.h);
        if (own) this.scope.release(own);
        else s.dispose();
        this.subjects.delete(c.h);
        this.values.delete(c.h);
        this.owned.delete(c.h);
        return null;
      }
      case 'activations':
        return s.activations(c.tokens, c.n, c.sites);
      case 'perturbed':
        return this.perturbed(c.h, c.arrays);
      case 'finetune':
        return this.copy(c.h, await s.finetune(c.examples, c.opts), this.access === 'white-box');
    }
  }

  /** White-box forward rows the detector process ran: counted now (over budget throws, and the meter keeps the count). */
  forward(rows: number): void {
    if (!Number.isInteger(rows) || rows < 0) {
      this.refuse(`a forward-row count of ${String(rows).slice(0, 20)}`);
      return;
    }
    if (LEVEL[this.access] < LEVEL['white-box']) {
      this.refuse(`forward() rows reported at ${this.access} access`);
      return;
    }
    this.meter.query(rows);
  }

  /** A subject's weights for `perturbed()`'s transform: read once per subject (they never change), as core's `perturbed()` reads them once per call. */
  private async read(h: number): Promise<LocalModelData['weights']> {
    let w = this.values.get(h);
    if (!w) {
      w = await this.subjects.get(h)!.weights();
      this.values.set(h, w);
    }
    return w;
  }

  /**
   * `perturbed()` with the transformed values the detector process sent: checked as core checks a
   * transform's output, then a copy built from them directly (core's `perturbed()` would read the
   * weights a second time only to hand them to a transform that ignores them).
   */
  private async perturbed(from: number, arrays: unknown): Promise<{ h: number }> {
    this.meter.wall();
    const w = await this.read(from);
    const got = (arrays && typeof arrays === 'object' ? arrays : {}) as Record<string, unknown>;
    const out: LocalModelData['weights'] = {};
    for (const [name, p] of Object.entries(w)) {
      const v = got[name];
      if (!(v instanceof Float32Array) || v.length !== p.values.length) {
        throw new SandtrapError(
          'SANDTRAP_SUBJECT_MISUSE',
          `perturbed: the transform returned ${v instanceof Float32Array ? `${v.length} values` : typeof v} for ${name}, expected a Float32Array of ${p.values.length}`,
        );
      }
      out[name] = { shape: p.shape, values: v };
    }
    const arch = this.arch.get(from)!;
    const model = this.scope.track(Model.fromArrays(arch.archName, arch.dims, arch.hyper, out));
    const card = this.cards.get(from)!;
    const s = createSubject({ model, card, access: 'white-box', meter: this.meter, sampleSeed: this.seeds.get(from)! }, this.scope) as unknown as HostSubject;
    const h = this.next++;
    this.subjects.set(h, s);
    this.owned.set(h, model);
    this.inherit(h, from);
    return { h };
  }

  private inherit(h: number, from: number): void {
    this.arch.set(h, this.arch.get(from)!);
    this.cards.set(h, this.cards.get(from)!);
    this.seeds.set(h, this.seeds.get(from)!);
  }

  private async copy(from: number, s: HostSubject, withWeights: boolean): Promise<{ h: number; weights?: LocalModelData['weights'] }> {
    const h = this.next++;
    this.subjects.set(h, s);
    this.inherit(h, from);
    return { h, ...(withWeights ? { weights: await s.weights() } : {}) };
  }
}

/**
 * Node's heap flags for a process on either side of the split (a cell worker, a detector process):
 * the heap limit, and an old generation that may grow to a quarter of it (at most 256 MB) before
 * it is collected.
 *
 * Why the second flag: every `perturbed()` and `predict()` sends arrays of up to a few MB between
 * the two processes, and each message leaves buffers behind. With V8's own limit, set from a live
 * heap of about 26 MB, both processes ran a full mark-compact every 7 or so perturbations
 * (noise-injection on the hard tier: about 300 in a cell worker and 240 in its detector process for
 * 30 organisms), and the messages and the model's work ran between them up to twice as slowly
 * (a perturbed copy's round trip 3.2 ms, with the flag 1.5 ms). The flag leaves a process's
 * memory bounded by `memoryMb` as before; it only lets garbage gather longer before a collection.
 */
export function heapFlags(memoryMb: number): string[] {
  return [`--max-old-space-size=${memoryMb}`, `--initial-old-space-size=${Math.min(256, Math.floor(memoryMb / 4))}`];
}

/** How the host starts its detector process. */
export interface DetectorProcessOptions {
  /** The detector process's module: it must call `serveDetectorJobs()`. A .ts file runs through tsx. */
  file: URL;
  /** Node flags (the permission model's, the heap limit). */
  execArgv?: readonly string[];
  /** Start it through this program (bubblewrap), which then execs Node; the IPC descriptor passes through. */
  launcher?: { command: string; args: readonly string[] };
  /** Its environment. Default: the host's (already an allow-list under the scoreboard). */
  env?: NodeJS.ProcessEnv;
}

/** What the host does for one job: answer the subject calls, count the meter, take log lines. */
export interface JobHandlers {
  serve(call: SubjectCall): Promise<unknown>;
  used(): BudgetUsage;
  log?(line: string): void;
}

type ChildMsg =
  | { t: 'call'; id: number; call: SubjectCall }
  | { t: 'log'; line: string }
  | { t: 'done'; job: number; reply: DetectorReply }
  | { t: 'failed'; job: number; error: SerializedError };

/**
 * The host's handle on one detector process, started on first use and reused for the next job
 * until it is killed (a hung detector, a changed process) or dies; the next job starts a fresh one.
 */
export class DetectorProcess {
  private child?: ChildProcess;
  private stderr = '';
  private nextJob = 1;
  private current?: { id: number; handlers: JobHandlers; resolve: (r: DetectorReply) => void; reject: (e: Error) => void };

  constructor(private readonly opts: DetectorProcessOptions) {}

  /** Runs one job; rejects (code SANDTRAP_WORKER_DIED or SANDTRAP_OUT_OF_MEMORY) if the process dies first. */
  run(job: DetectorJob, handlers: JobHandlers): Promise<DetectorReply> {
    if (this.current) return Promise.reject(new Error('DetectorProcess: one job at a time'));
    const child = this.child ?? this.spawn();
    return new Promise<DetectorReply>((resolve, reject) => {
      const id = this.nextJob++;
      this.current = { id, handlers, resolve, reject };
      this.stderr = '';
      child.send({ t: 'job', id, job }, (e) => {
        if (e && this.current?.id === id) {
          this.current = undefined;
          reject(e);
        }
      });
    });
  }

  /** Aborts the running job's `ctx.signal` with a budget error (the wall budget ran out). */
  abort(message: string): void {
    this.child?.send({ t: 'abort', message }, () => undefined);
  }

  /** Kills the process (a hung or tainted detector); the next job starts a fresh one. */
  kill(): void {
    const c = this.child;
    this.child = undefined;
    c?.kill('SIGKILL');
    const cur = this.current;
    this.current = undefined;
    cur?.reject(new SandtrapError('SANDTRAP_WORKER_DIED', 'the detector process was killed during the call'));
  }

  /** Whether a process is running now. */
  get alive(): boolean {
    return this.child !== undefined;
  }

  private spawn(): ChildProcess {
    const file = fileURLToPath(this.opts.file);
    const fromSource = file.endsWith('.ts');
    const execArgv = [...(fromSource ? ['--import', 'tsx', '--conditions=sandtrap-source'] : []), ...(this.opts.execArgv ?? [])];
    const launcher = this.opts.launcher;
    const child = fork(file, [], {
      ...(launcher ? { execPath: launcher.command, execArgv: [...launcher.args, process.execPath, ...execArgv] } : { execArgv }),
      env: this.opts.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: ChildMsg) => this.onMessage(child, m));
    child.on('exit', (code, signal) => {
      // A process killed after its job (retired) exits while the next job runs in its successor: not that job's failure.
      if (this.child !== child) return;
      this.child = undefined;
      const cur = this.current;
      if (!cur) return;
      this.current = undefined;
      const oom = /heap out of memory|Allocation failed/i.test(this.stderr);
      const tail = this.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
      cur.reject(
        new SandtrapError(
          oom ? 'SANDTRAP_OUT_OF_MEMORY' : 'SANDTRAP_WORKER_DIED',
          oom
            ? `out of memory: the detector process ran out of heap (${signal ?? `exit code ${code}`})`
            : `the detector process exited (${signal ?? `code ${code}`}) during the call${tail ? `: ${tail}` : ''}`,
        ),
      );
    });
    return child;
  }

  private onMessage(child: ChildProcess, m: ChildMsg): void {
    const cur = this.current;
    if (m?.t === 'call') {
      const answer = (msg: object) => {
        if (child.connected) child.send({ t: 'reply', id: m.id, ...msg, used: cur?.handlers.used() }, () => undefined);
      };
      if (!cur) return answer({ ok: false, error: { name: 'Error', message: 'no call is running' } });
      cur.handlers.serve(m.call).then(
        (value) => answer({ ok: true, value }),
        (e: unknown) => answer({ ok: false, error: serializeError(e) }),
      );
    } else if (m?.t === 'log') {
      cur?.handlers.log?.(String(m.line).slice(0, 500));
    } else if ((m?.t === 'done' || m?.t === 'failed') && cur && m.job === cur.id) {
      this.current = undefined;
      if (m.t === 'done') cur.resolve(m.reply ?? {});
      else cur.reject(deserializeError(m.error));
    }
  }
}

/** A SandtrapError rebuilt from the host's answer, so a detector sees the same error as in one process. */
export function hostError(s: SerializedError): Error {
  return s.code && isErrorCode(s.code) ? new SandtrapError(s.code, s.message) : deserializeError(s);
}
