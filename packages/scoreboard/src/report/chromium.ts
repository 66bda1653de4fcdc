/**
 * Finds a Chromium for the report's browser test (and scripts/readme-figures.ts), and installs one
 * when there is none, so that `npm ci && npm test` needs no manual step on a fresh machine.
 *
 * playwright-core drives the browser but downloads none of its own, so we look, in order, at
 * `CHROMIUM_PATH`, the system's Chromium or Chrome on `PATH`, and Playwright's browser cache. When
 * none is there we install one: Debian's `chromium` with apt when we are root on Debian, otherwise
 * Playwright's Chrome for Testing build (`playwright-core install chromium`). Ubuntu is not Debian
 * here: its `chromium` and `chromium-browser` debs are stubs that install a snap, and snapd does not
 * run in containers or on most CI runners.
 *
 * Not part of the package's API: it is not exported from index.ts.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Executable names of Chromium and Chrome on PATH, most specific first. */
export const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** Where the installed playwright-core expects its own Chromium (`chromium.executablePath()`), checked before any other cached build. */
  playwrightPath?: string;
}

export interface Found {
  path: string;
  /** How it was found, for the one line the test setup prints. */
  via: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Playwright's browser cache: PLAYWRIGHT_BROWSERS_PATH, else its per-platform default. */
export function playwrightCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  const custom = env.PLAYWRIGHT_BROWSERS_PATH;
  if (custom && custom !== '0') return custom;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'ms-playwright');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'ms-playwright');
  return join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'ms-playwright');
}

/** Every Chromium build in Playwright's cache, newest revision first (`chromium-1255/chrome-linux64/chrome`…). */
function cachedBuilds(cache: string, platform: NodeJS.Platform): string[] {
  let dirs: string[];
  try {
    dirs = readdirSync(cache).filter((d) => /^chromium-\d+$/.test(d));
  } catch {
    return [];
  }
  dirs.sort((a, b) => Number(b.slice(9)) - Number(a.slice(9)));
  // The folder name changed across Playwright versions (chrome-linux → chrome-linux64).
  const inner =
    platform === 'darwin'
      ? [
          join('chrome-mac', 'Chromium.app', 'Contents', 'MacOS', 'Chromium'),
          join('chrome-mac-arm64', 'Google Chrome for Testing.app', 'Contents', 'MacOS', 'Google Chrome for Testing'),
        ]
      : platform === 'win32'
        ? [join('chrome-win', 'chrome.exe'), join('chrome-win64', 'chrome.exe')]
        : [join('chrome-linux', 'chrome'), join('chrome-linux64', 'chrome'), join('chrome-linux-arm64', 'chrome')];
  return dirs.flatMap((d) => inner.map((i) => join(cache, d, i)));
}

/** Where we look, in order; `describeSearch` prints the same list in the failure message. */
export function candidates(opts: FindOptions = {}): Array<{ path: string; via: string }> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? homedir();
  const out: Array<{ path: string; via: string }> = [];
  const ext = platform === 'win32' ? ['.exe'] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of SYSTEM_NAMES) for (const e of ext) out.push({ path: join(dir, name + e), via: `${name} on PATH` });
  }
  if (platform === 'darwin') {
    out.push({ path: '/Applications/Chromium.app/Contents/MacOS/Chromium', via: 'Chromium.app' });
    out.push({ path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', via: 'Google Chrome.app' });
  }
  const cache = playwrightCacheDir(env, platform, home);
  if (opts.playwrightPath) out.push({ path: opts.playwrightPath, via: "Playwright's cache" });
  for (const p of cachedBuilds(cache, platform)) out.push({ path: p, via: "Playwright's cache" });
  return out;
}

/**
 * The Chromium to use, or undefined. `CHROMIUM_PATH` wins when set, and must then be an executable:
 * a wrong explicit path is an error rather than something to route around silently.
 */
export function findChromium(opts: FindOptions = {}): Found | undefined {
  const env = opts.env ?? process.env;
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) return { path: env.CHROMIUM_PATH, via: 'CHROMIUM_PATH' };
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file: point it at a Chromium or Chrome binary, or unset it to let the tests find or install one`);
  }
  return candidates(opts).find((c) => isExecutable(c.path));
}

export function describeSearch(opts: FindOptions = {}): string {
  const env = opts.env ?? process.env;
  return `CHROMIUM_PATH, ${SYSTEM_NAMES.join('/')} on PATH, ${playwrightCacheDir(env, opts.platform ?? process.platform, opts.home ?? homedir())}`;
}

export interface Platform {
  platform: NodeJS.Platform;
  /** process.getuid(), or undefined where there is none (Windows). */
  uid: number | undefined;
  /** /etc/os-release's ID and ID_LIKE, lower case ("debian", "ubuntu debian"…). */
  osIds: string[];
  hasAptGet: boolean;
}

export interface InstallStep {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface InstallPlan {
  steps: InstallStep[];
  /** The same as one shell line, for messages. */
  shell: string;
  note?: string;
}

/** The path of playwright-core's CLI, resolved from this package so the browser matches the library. */
export function playwrightCli(): string {
  return join(dirname(createRequire(import.meta.url).resolve('playwright-core/package.json')), 'cli.js');
}

/** How to install a Chromium on this machine. Pure: decided from `Platform` only. */
export function installPlan(p: Platform, cli = playwrightCli()): InstallPlan {
  const debian = p.osIds.includes('debian') && !p.osIds.includes('ubuntu');
  if (p.platform === 'linux' && p.uid === 0 && p.hasAptGet && debian) {
    return {
      steps: [
        { command: 'apt-get', args: ['update', '-qq'] },
        { command: 'apt-get', args: ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], env: { DEBIAN_FRONTEND: 'noninteractive' } },
      ],
      shell: 'apt-get update && apt-get install -y chromium',
    };
  }
  // As root on Ubuntu (or another apt system) --with-deps also installs the shared libraries the build needs.
  const withDeps = p.platform === 'linux' && p.uid === 0 && p.hasAptGet;
  const args = [cli, 'install', ...(withDeps ? ['--with-deps'] : []), 'chromium'];
  return {
    steps: [{ command: process.execPath, args }],
    shell: `npx playwright-core install${withDeps ? ' --with-deps' : ''} chromium`,
    ...(p.osIds.includes('ubuntu')
      ? { note: "Ubuntu's chromium and chromium-browser packages only install a snap, which CI containers cannot run: using Playwright's build instead" }
      : {}),
  };
}

export function currentPlatform(): Platform {
  let osIds: string[] = [];
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    osIds = [...text.matchAll(/^(?:ID|ID_LIKE)=("?)([^"\n]*)\1$/gm)].flatMap((m) => m[2]!.toLowerCase().split(/\s+/)).filter(Boolean);
  } catch {
    // Not Linux, or a minimal image without os-release: the Playwright plan needs neither.
  }
  const env = process.env;
  const hasAptGet = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((d) => isExecutable(join(d, 'apt-get')));
  return { platform: process.platform, uid: process.getuid?.(), osIds, hasAptGet };
}

function run(step: InstallStep, log: (line: string) => void): Promise<void> {
  log(`$ ${[step.command === process.execPath ? 'node' : step.command, ...step.args].join(' ')}`);
  return new Promise((resolve, reject) => {
    // Output goes to stderr so it shows during the test run without mixing into any reporter's stdout.
    const child = spawn(step.command, step.args, { stdio: ['ignore', 2, 2], env: { ...process.env, ...step.env } });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${step.command} ${step.args.join(' ')} exited with ${signal ?? code}`))));
  });
}

export interface LockOptions {
  /** A lock this old is taken to belong to a killed process (an apt install takes a few minutes). */
  staleMs?: number;
  pollMs?: number;
  timeoutMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding a lock directory (mkdir is atomic on every file system we run on), so test
 * processes started at the same time install one browser, not two apt-gets fighting over dpkg's lock.
 * A lock whose owner process is gone, or that is older than `staleMs`, is broken.
 */
export async function withLock<T>(lock: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const { staleMs = 20 * 60_000, pollMs = 250, timeoutMs = 30 * 60_000 } = opts;
  const start = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
    const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
    if ((owner > 0 && !alive(owner)) || age > staleMs) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lock} (held by pid ${owner || 'unknown'}); remove it if that process is gone`);
    await sleep(pollMs);
  }
  try {
    await writeFile(join(lock, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface AcquireOptions extends FindOptions, LockOptions {
  lock?: string;
  plan?: InstallPlan;
  /** Runs the plan; replaced in tests. */
  install?: (plan: InstallPlan) => Promise<void>;
  log?: (line: string) => void;
}

/**
 * Finds a Chromium, or installs one and finds it then. Throws one line naming what was searched, what
 * was tried and the command to run by hand.
 */
export async function acquireChromium(opts: AcquireOptions = {}): Promise<Found> {
  const found = findChromium(opts);
  if (found) return found;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const plan = opts.plan ?? installPlan(currentPlatform());
  const install =
    opts.install ??
    (async (p: InstallPlan) => {
      for (const step of p.steps) await run(step, log);
    });
  const lock = opts.lock ?? join(tmpdir(), 'sandtrap-chromium-install.lock');
  let failure = '';
  const result = await withLock(
    lock,
    async () => {
      // Another process may have installed it while we waited for the lock.
      const again = findChromium(opts);
      if (again) return again;
      log(`No Chromium found (looked at ${describeSearch(opts)}); installing one for the browser tests: ${plan.shell}`);
      if (plan.note) log(plan.note);
      try {
        await install(plan);
      } catch (e) {
        failure = (e as Error).message;
      }
      return findChromium(opts);
    },
    opts,
  );
  if (result) return result;
  throw new Error(
    `Chromium not found (looked at ${describeSearch(opts)}) and ${failure ? `installing it failed (${failure})` : `\`${plan.shell}\` did not provide one`}: run \`${plan.shell}\`, or set CHROMIUM_PATH to a Chromium or Chrome binary`,
  );
}
