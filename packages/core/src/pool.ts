import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitCodeOf, isErrorCode, type SandtrapErrorCode } from './errors.js';

/**
 * A small pool of worker *processes* with streaming progress over IPC.
 *
 * Why processes and not a library thread pool (tinypool, piscina): wasm runs single-threaded under
 * Node, so parallelism means one TensorFlow.js engine per worker; a process also gives each unit
 * of work its own memory limit and can be killed outright (a hung detector, a cancelled build),
 * and tasks here stream progress events while they run, which those pools' request/response
 * model does not carry.
 */
export interface PoolOptions {
  /** The worker module: it must call `serveTasks(handler)`. A .ts file runs through tsx. */
  file: URL;
  size: number;
  /** Variables set in the worker's environment, over what it inherits. */
  env?: Record<string, string | undefined>;
  /**
   * Inherit only these variables of this process's environment (an untrusted worker must not see
   * CI secrets); a name ending in `*` is a prefix. Default: inherit all.
   */
  envAllow?: readonly string[];
  /** Extra Node flags, e.g. `--max-old-space-size=…`. */
  execArgv?: string[];
  /** 'advanced' (structured clone) carries typed arrays over IPC; default 'json'. */
  serialization?: 'json' | 'advanced';
  /** Skip the tsx loader even for a .ts worker file (the caller supplies its own flags). */
  raw?: boolean;
  /**
   * Start each worker through this program: `command ...args node ...nodeFlags worker` (an OS
   * sandbox such as bubblewrap, which then execs Node). The IPC channel's descriptor and the
   * environment pass through it. Default: Node directly.
   */
  launcher?: { command: string; args: readonly string[] };
}

/** This process's environment, only the variables `allow` names (a name ending in `*` is a prefix); all of it without a list. */
export function inherited(allow: readonly string[] | undefined): NodeJS.ProcessEnv {
  if (!allow) return { ...process.env };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && allow.some((a) => (a.endsWith('*') ? k.startsWith(a.slice(0, -1)) : k === a))) env[k] = v;
  }
  return env;
}

export interface RunOptions {
  /** Kill the worker and reject with code SANDTRAP_TIMEOUT after this many milliseconds. */
  timeoutMs?: number;
}

type Msg =
  | { type: 'progress'; id: number; data: unknown }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: { message: string; code?: string; exitCode?: number; stack?: string } };

interface Pending {
  id: number;
  payload: unknown;
  timeoutMs?: number;
  timer?: NodeJS.Timeout;
  onProgress?: (data: unknown) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  child: ChildProcess;
  task?: Pending;
  stderr: string;
  /** Killed or retiring: never given another task. */
  dead?: boolean;
}

/** A worker result carrying this key (set by the worker) retires its process after this task. */
export const RETIRE = '__sandtrapRetire';

/**
 * A task's failure as the parent sees it. `code` is set when the worker threw a sandtrap error
 * (its code and exit code travel over IPC) or when the pool itself failed the task (timeout, out
 * of memory, a dead worker); an uncoded worker error (a bug) keeps `code` undefined, so the CLI
 * reports it as an internal error with the worker's stack rather than as bad input.
 */
export class WorkerError extends Error {
  readonly code?: SandtrapErrorCode;
  readonly exitCode?: 1 | 2;
  constructor(message: string, code?: SandtrapErrorCode, options: { stack?: string; exitCode?: 1 | 2 } = {}) {
    super(message);
    this.name = 'WorkerError';
    if (code) {
      this.code = code;
      this.exitCode = options.exitCode ?? exitCodeOf(code);
    }
    if (options.stack) this.stack = options.stack;
  }
}

export class ProcessPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    if (opts.size < 1) throw new RangeError(`pool size must be >= 1, got ${opts.size}`);
  }

  /** Run one task on the next free worker. */
  run<R>(payload: unknown, onProgress?: (data: unknown) => void, opts: RunOptions = {}): Promise<R> {
    if (this.closed) return Promise.reject(new Error('pool is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, payload, onProgress, timeoutMs: opts.timeoutMs, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Stop every worker (running tasks are rejected). */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('pool closed'));
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((res) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return res();
            s.child.once('exit', () => res());
            clearTimeout(s.task?.timer);
            s.child.kill('SIGKILL');
          }),
      ),
    );
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const file = fileURLToPath(this.opts.file);
    const fromSource = file.endsWith('.ts');
    // Running from source (tests, `npm start`): load TypeScript through tsx, resolve workspace packages to src.
    const execArgv = [...(fromSource && !this.opts.raw ? ['--import', 'tsx', '--conditions=sandtrap-source'] : []), ...(this.opts.execArgv ?? [])];
    const launcher = this.opts.launcher;
    const child = fork(file, [], {
      ...(launcher ? { execPath: launcher.command, execArgv: [...launcher.args, process.execPath, ...execArgv] } : { execArgv }),
      env: { ...inherited(this.opts.envAllow), ...this.opts.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: this.opts.serialization ?? 'json',
    });
    // Keep the last lines a worker wrote to stderr: they explain a crash (out of memory, abort).
    child.stderr?.on('data', (d: Buffer) => {
      slot.stderr = (slot.stderr + d.toString()).slice(-4000);
    });
    const slot: Slot = { child, stderr: '' };
    child.on('message', (m: Msg) => {
      const t = slot.task;
      if (!t || m.id !== t.id) return;
      if (m.type === 'progress') t.onProgress?.(m.data);
      else {
        clearTimeout(t.timer);
        slot.task = undefined;
        if (m.type === 'result' && (m.result as Record<string, unknown> | null)?.[RETIRE]) {
          slot.dead = true;
          slot.child.kill('SIGKILL');
          delete (m.result as Record<string, unknown>)[RETIRE];
        }
        if (m.type === 'result') t.resolve(m.result);
        else {
          const { message, code, exitCode, stack } = m.error;
          t.reject(new WorkerError(message, isErrorCode(code) ? code : undefined, { stack, exitCode: exitCode === 1 || exitCode === 2 ? exitCode : undefined }));
        }
        this.pump();
      }
    });
    child.on('exit', (code, signal) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const t = slot.task;
      slot.task = undefined;
      if (t) {
        clearTimeout(t.timer);
        const oom = /heap out of memory|Allocation failed/i.test(slot.stderr);
        const tail = slot.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
        t.reject(
          new WorkerError(
            oom
              ? `out of memory: the worker process ran out of heap (${signal ?? `exit code ${code}`})`
              : `worker process exited (${signal ?? `code ${code}`}) while running a task${tail ? `: ${tail}` : ''}`,
            oom ? 'SANDTRAP_OUT_OF_MEMORY' : 'SANDTRAP_WORKER_DIED',
          ),
        );
      }
      if (!this.closed) this.pump();
    });
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task && !s.dead);
      if (!slot) {
        if (this.slots.filter((s) => !s.dead).length >= this.opts.size) return;
        slot = this.spawn();
      }
      const t = this.queue.shift()!;
      slot.task = t;
      slot.stderr = '';
      if (t.timeoutMs !== undefined) {
        const s = slot;
        t.timer = setTimeout(() => {
          if (s.task !== t) return;
          s.task = undefined;
          s.dead = true;
          s.child.kill('SIGKILL');
          t.reject(new WorkerError(`timed out after ${t.timeoutMs! / 1000} s; the worker process was killed`, 'SANDTRAP_TIMEOUT'));
        }, t.timeoutMs);
      }
      slot.child.send({ type: 'task', id: t.id, payload: t.payload });
    }
  }
}

/** The worker side: answer tasks from the pool until the parent goes away. */
export function serveTasks(handler: (payload: unknown, progress: (data: unknown) => void) => Promise<unknown>): void {
  // A killed parent must not leave orphans training on.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: { type: string; id: number; payload: unknown }) => {
    if (m?.type !== 'task') return;
    const progress = (data: unknown) => process.send?.({ type: 'progress', id: m.id, data });
    handler(m.payload, progress).then(
      (result) => process.send?.({ type: 'result', id: m.id, result }),
      (e: unknown) => {
        const err = e as { message?: string; code?: string; exitCode?: number; stack?: string };
        process.send?.({ type: 'error', id: m.id, error: { message: err?.message ?? String(e), code: err?.code, exitCode: err?.exitCode, stack: err?.stack } });
      },
    );
  });
}
