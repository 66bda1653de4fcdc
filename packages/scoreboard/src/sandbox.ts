import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { SandtrapError } from '@sandtrap/core';

/**
 * How a detector's worker process is confined. Three layers, outermost first:
 *
 * - **bwrap** (Debian's `bubblewrap`): the worker runs in its own mount, network, PID and IPC
 *   namespaces. It sees a read-only view of the system's libraries and of the readable roots only
 *   (no zoo, no results folder, no home), a private empty /tmp, and no network at all (not even the
 *   host's loopback). A symlink shipped in a hostile package cannot lead out of that view.
 * - **node**: Node's permission model (`--permission`, `--experimental-permission` before 22.13)
 *   with `--allow-fs-read` for the same roots. Node's documentation says it does not protect
 *   against malicious code (symlinks inside an allowed folder are followed, and it does not deny
 *   the network before Node 25): it is the second layer, or the only one where bwrap is missing.
 * - **env**: the worker inherits only an allow-list of variables (CI secrets never reach it).
 *
 * `auto` (the default) uses bwrap when it is installed and can make a sandbox here (user
 * namespaces may be disabled), else node alone, and says so (`sandtrap doctor`, the run's
 * manifest). `bwrap` requires it: a run refuses to start without it.
 */
export type SandboxRequest = 'auto' | 'bwrap' | 'node';

export const SANDBOX_REQUESTS: readonly SandboxRequest[] = ['auto', 'bwrap', 'node'];

/** The layers a run's workers get, as the manifest and `doctor` report them. */
export interface SandboxLayers {
  /** What was asked for. */
  request: SandboxRequest;
  /** The OS sandbox in use, or null. */
  os: 'bwrap' | null;
  /** Why the OS layer is or is not in use (one line). */
  osReason: string;
  /** Node's permission model (file reads limited to the readable roots). */
  nodePermission: boolean;
  /** The environment is an allow-list (always). */
  envAllowList: true;
  /** Protections this run does not have, in words (empty under bwrap). */
  missing: string[];
  /**
   * Whether each cell's detector ran in a process started for it alone (`--fresh-process`). When
   * false, a detector's cells share its process: its module is imported afresh for each cell and
   * the process is checked unchanged after each (globals, prototypes, tensors). Set by the run.
   */
  freshProcess?: boolean;
}

let probed: { ok: boolean; reason: string } | undefined;

/** The namespace and process flags every bwrap worker gets (the mounts come from the readable roots). */
const BWRAP_BASE = ['--unshare-all', '--die-with-parent', '--new-session', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'];

/**
 * NVIDIA's device files, where they exist, so `@tensorflow/tfjs-node-gpu` can reach the GPU from
 * inside the sandbox (the CUDA libraries are under /usr, already in view). Untested here: no GPU.
 */
const GPU_DEVICES = ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset', ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `/dev/nvidia${i}`)];

/** System folders Node and its shared libraries need, read-only, where they exist. */
const SYSTEM_RO = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime'];

/**
 * Whether bubblewrap is installed and can start Node in a sandbox here, probed once per process
 * (`SANDTRAP_BWRAP`, if set, names the program; default `bwrap` on PATH).
 */
export function probeBwrap(): { ok: boolean; reason: string } {
  if (probed) return probed;
  const command = bwrapCommand();
  const r = spawnSync(command, [...BWRAP_BASE, ...systemBinds(), '--', process.execPath, '-e', '0'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    probed = {
      ok: false,
      reason: code === 'ENOENT' ? `bubblewrap is not installed (Debian: apt-get install bubblewrap)` : `bubblewrap could not start (${code ?? r.error.message})`,
    };
  } else if (r.status !== 0) {
    const line = (r.stderr || '').trim().split('\n')[0] ?? '';
    probed = { ok: false, reason: `bubblewrap is installed but cannot make a sandbox here: ${line || `exit ${r.status}`}` };
  } else {
    probed = { ok: true, reason: 'bubblewrap: no network, read-only view of the detector code and system libraries, private /tmp' };
  }
  return probed;
}

function bwrapCommand(): string {
  return process.env.SANDTRAP_BWRAP || 'bwrap';
}

function systemBinds(): string[] {
  const out: string[] = GPU_DEVICES.filter((d) => existsSync(d)).flatMap((d) => ['--dev-bind', d, d]);
  const node = dirname(realpathSync(process.execPath));
  for (const p of [...SYSTEM_RO, node]) {
    if (!existsSync(p)) continue;
    // A merged-/usr system's /lib is a symlink into /usr: recreate the link, do not bind it twice.
    const real = realpathSync(p);
    if (real !== p && SYSTEM_RO.some((s) => within(real, s))) out.push('--symlink', real, p);
    else out.push('--ro-bind', p, p);
  }
  return out;
}

/**
 * The layers for a request. From source (tests under vitest) tsx must read the whole repository,
 * zoos included, so neither file layer is on there; the built CLI always has them.
 */
export function resolveSandbox(request: SandboxRequest, fromSource: boolean): SandboxLayers {
  if (fromSource) {
    return {
      request,
      os: null,
      osReason: 'running from source (tsx reads the repository): file layers are off',
      nodePermission: false,
      envAllowList: true,
      missing: ['OS sandbox', 'file permissions'],
    };
  }
  let os: SandboxLayers['os'] = null;
  let osReason: string;
  if (request === 'node') {
    osReason = '--sandbox node: the OS sandbox was not asked for';
  } else {
    const b = probeBwrap();
    if (b.ok) os = 'bwrap';
    else if (request === 'bwrap') throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--sandbox bwrap: ${b.reason}; install it, or run with --sandbox node (no OS sandbox)`);
    osReason = b.reason;
  }
  const missing = os ? [] : ['no OS sandbox: the detector can reach the network, and a symlink it ships can lead past the file permissions'];
  return { request, os, osReason, nodePermission: true, envAllowList: true, missing };
}

/** `p` is `dir` or lies inside it (both real, absolute paths). */
export function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * `root`, minus every folder in `hidden` that lies inside it: the entries of `root` that do not
 * hold a hidden folder, and, for one that does, its own entries by the same rule. A hidden folder
 * is left out whole. Throws when `root` lies inside a hidden folder (nothing of it could be shown).
 */
export function cutOut(root: string, hidden: readonly string[]): string[] {
  const inside = hidden.filter((h) => within(h, root));
  if (inside.length === 0) return [root];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const e = join(root, name);
    if (inside.some((h) => within(e, h))) continue;
    let isDir = false;
    try {
      isDir = statSync(e).isDirectory();
    } catch {
      continue;
    }
    if (isDir && inside.some((h) => within(h, e))) out.push(...cutOut(e, inside));
    else out.push(e);
  }
  return out;
}

/**
 * The folders (and files) a detector's worker may read: the package roots of the code it runs
 * (the scoreboard's own and the detector's) and every node_modules above them, with each hidden
 * folder (the zoo, the results folder) cut out. Refuses a detector whose entry lies in a hidden
 * folder: it would have to read the zoo to load.
 */
export function readableRoots(codeRoots: readonly string[], entryFile: string, hidden: readonly string[], what: string): string[] {
  const roots = new Set<string>();
  const add = (start: string) => {
    const r = realpathSync(start);
    roots.add(r);
    for (let d = r; ; d = dirname(d)) {
      if (existsSync(join(d, 'node_modules'))) roots.add(realpathSync(join(d, 'node_modules')));
      if (dirname(d) === d) break;
    }
  };
  for (const r of codeRoots) add(r);
  // The worker's own packages may be workspace links: allow their real folders.
  for (const r of [...roots]) {
    for (const name of ['@sandtrap/core', '@sandtrap/detector-api', '@sandtrap/harness', '@sandtrap/stats']) {
      const p = join(r, name);
      if (r.endsWith('node_modules') && existsSync(p)) add(p);
    }
  }
  // A hidden folder that does not exist yet (a results folder made later) is cut out by its path.
  const real = hidden.map((h) => (existsSync(h) ? realpathSync(h) : resolve(h)));
  const entry = realpathSync(entryFile);
  const bad = real.find((h) => within(entry, h));
  if (bad) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `detector ${what}: its code ${entry} lies inside ${bad}, which a detector must not read; move the detector out of it`);
  const out = new Set<string>();
  for (const r of roots) {
    const holder = real.find((h) => within(r, h));
    if (holder) continue; // a node_modules inside the zoo: not needed, not shown
    for (const x of cutOut(r, real)) out.add(x);
  }
  return [...out].sort();
}

/** bwrap's arguments for a worker that may read `roots`: everything else of the file system is absent. */
export function bwrapLauncher(roots: readonly string[]): { command: string; args: string[] } {
  const binds = roots.flatMap((r) => ['--ro-bind', r, r]);
  return { command: bwrapCommand(), args: [...BWRAP_BASE, ...systemBinds(), ...binds, '--chdir', '/', '--'] };
}

/** For tests: forget the probe. */
export function resetBwrapProbe(): void {
  probed = undefined;
}
