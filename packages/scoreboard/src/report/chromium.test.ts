import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireChromium, candidates, findChromium, installPlan, withLock, type InstallPlan } from './chromium.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sandtrap-chromium-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fake browser: an executable script at `path`. */
async function exe(path: string, mode = 0o755): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, mode);
  return path;
}

const PLAN: InstallPlan = { steps: [], shell: 'install-chromium' };

describe('findChromium', () => {
  it('prefers CHROMIUM_PATH over everything on PATH', async () => {
    const own = await exe(join(root, 'own', 'my-chrome'));
    await exe(join(root, 'bin', 'chromium'));
    const found = findChromium({ env: { CHROMIUM_PATH: own, PATH: join(root, 'bin') }, home: root, platform: 'linux' });
    expect(found).toEqual({ path: own, via: 'CHROMIUM_PATH' });
  });

  it('fails on a CHROMIUM_PATH that is not an executable file, naming it, instead of falling back', async () => {
    await exe(join(root, 'bin', 'chromium'));
    const notExe = await exe(join(root, 'own', 'chrome'), 0o644);
    for (const bad of [join(root, 'missing'), notExe, root]) {
      expect(() => findChromium({ env: { CHROMIUM_PATH: bad, PATH: join(root, 'bin') }, home: root, platform: 'linux' })).toThrow(`CHROMIUM_PATH=${bad} is not an executable file`);
    }
  });

  it('searches PATH in order, for chromium, chromium-browser, google-chrome, skipping non-executables', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await exe(join(a, 'chromium'), 0o644);
    await mkdir(join(a, 'chromium-browser'), { recursive: true });
    const chrome = await exe(join(b, 'google-chrome'));
    const env = { PATH: [a, b].join(delimiter) };
    expect(findChromium({ env, home: root, platform: 'linux' })).toEqual({ path: chrome, via: 'google-chrome on PATH' });
    const browser = await exe(join(b, 'chromium-browser'));
    expect(findChromium({ env, home: root, platform: 'linux' })).toEqual({ path: browser, via: 'chromium-browser on PATH' });
    const first = await exe(join(a, 'google-chrome'));
    expect(findChromium({ env, home: root, platform: 'linux' })?.path).toBe(first);
  });

  it("falls back to Playwright's cache: the build playwright-core expects, then the newest other one", async () => {
    const cache = join(root, '.cache', 'ms-playwright');
    const old = await exe(join(cache, 'chromium-1100', 'chrome-linux', 'chrome'));
    const env = { PATH: join(root, 'empty') };
    expect(findChromium({ env, home: root, platform: 'linux' })).toEqual({ path: old, via: "Playwright's cache" });
    const newer = await exe(join(cache, 'chromium-1255', 'chrome-linux64', 'chrome'));
    expect(findChromium({ env, home: root, platform: 'linux' })?.path).toBe(newer);
    const expected = await exe(join(root, 'pw', 'chrome'));
    expect(findChromium({ env, home: root, platform: 'linux', playwrightPath: expected })?.path).toBe(expected);
    // PLAYWRIGHT_BROWSERS_PATH moves the cache.
    const moved = await exe(join(root, 'browsers', 'chromium-9', 'chrome-linux', 'chrome'));
    expect(findChromium({ env: { ...env, PLAYWRIGHT_BROWSERS_PATH: join(root, 'browsers') }, home: root, platform: 'linux' })?.path).toBe(moved);
  });

  it('finds nothing on an empty machine, and lists where it looked', () => {
    expect(findChromium({ env: { PATH: join(root, 'empty') }, home: root, platform: 'linux' })).toBeUndefined();
    const paths = candidates({ env: { PATH: `/x${delimiter}/y` }, home: '/h', platform: 'linux' }).map((c) => c.path);
    expect(paths.slice(0, 5)).toEqual(['/x/chromium', '/x/chromium-browser', '/x/google-chrome', '/x/google-chrome-stable', '/y/chromium']);
  });
});

describe('installPlan', () => {
  const cli = '/n/playwright-core/cli.js';
  it('uses apt as root on Debian', () => {
    const plan = installPlan({ platform: 'linux', uid: 0, osIds: ['debian'], hasAptGet: true }, cli);
    expect(plan.shell).toBe('apt-get update && apt-get install -y chromium');
    expect(plan.steps.map((s) => [s.command, ...s.args].join(' '))).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends chromium']);
    expect(plan.steps[1]!.env).toEqual({ DEBIAN_FRONTEND: 'noninteractive' });
  });

  it("uses Playwright's build on Ubuntu, whose chromium packages are snap stubs, with its system libraries as root", () => {
    const plan = installPlan({ platform: 'linux', uid: 0, osIds: ['ubuntu', 'debian'], hasAptGet: true }, cli);
    expect(plan.steps).toEqual([{ command: process.execPath, args: [cli, 'install', '--with-deps', 'chromium'] }]);
    expect(plan.note).toMatch(/snap/);
  });

  it("uses Playwright's build without root, and off Linux", () => {
    for (const p of [
      { platform: 'linux' as const, uid: 1000, osIds: ['debian'], hasAptGet: true },
      { platform: 'linux' as const, uid: 0, osIds: ['fedora'], hasAptGet: false },
      { platform: 'darwin' as const, uid: 501, osIds: [], hasAptGet: false },
      { platform: 'win32' as const, uid: undefined, osIds: [], hasAptGet: false },
    ]) {
      const plan = installPlan(p, cli);
      expect(plan.steps).toEqual([{ command: process.execPath, args: [cli, 'install', 'chromium'] }]);
      expect(plan.shell).toBe('npx playwright-core install chromium');
    }
  });
});

describe('acquireChromium', () => {
  it('installs once when test processes ask at the same time, and every one gets the browser', async () => {
    const bin = join(root, 'bin');
    let installs = 0;
    const install = async () => {
      installs++;
      await new Promise((r) => setTimeout(r, 150));
      await exe(join(bin, 'chromium'));
    };
    const opts = { env: { PATH: bin }, home: root, platform: 'linux' as const, lock: join(root, 'lock'), plan: PLAN, install, pollMs: 20, log: () => {} };
    const found = await Promise.all([acquireChromium(opts), acquireChromium(opts), acquireChromium(opts)]);
    expect(installs).toBe(1);
    expect(found.map((f) => f.path)).toEqual(Array(3).fill(join(bin, 'chromium')));
    // A later run finds it without installing.
    await acquireChromium(opts);
    expect(installs).toBe(1);
  });

  it('fails with one line: where it looked, what failed, and the command to run', async () => {
    const opts = {
      env: { PATH: join(root, 'bin') },
      home: root,
      platform: 'linux' as const,
      lock: join(root, 'lock'),
      plan: PLAN,
      install: () => Promise.reject(new Error('apt-get install exited with 100')),
      log: () => {},
    };
    const err = await acquireChromium(opts).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(
      `Chromium not found (looked at CHROMIUM_PATH, chromium/chromium-browser/google-chrome/google-chrome-stable on PATH, ${join(root, '.cache', 'ms-playwright')}) and installing it failed (apt-get install exited with 100): run \`install-chromium\`, or set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
    expect(err?.message).not.toContain('\n');
    // An install that "succeeds" without producing a browser is reported too.
    await expect(acquireChromium({ ...opts, install: () => Promise.resolve() })).rejects.toThrow('`install-chromium` did not provide one: run `install-chromium`');
  });
});

describe('withLock', () => {
  it('breaks a lock left by a process that no longer exists', async () => {
    const lock = join(root, 'lock');
    await mkdir(lock);
    // Far above any live pid (Linux caps pids at 2^22).
    await writeFile(join(lock, 'pid'), '2147483646');
    await expect(withLock(lock, () => Promise.resolve('ran'), { pollMs: 10, timeoutMs: 2000 })).resolves.toBe('ran');
  });

  it('waits for a live holder, and gives up after the timeout naming the lock', async () => {
    const lock = join(root, 'lock');
    await mkdir(lock);
    await writeFile(join(lock, 'pid'), String(process.pid));
    await expect(withLock(lock, () => Promise.resolve('ran'), { pollMs: 10, timeoutMs: 100 })).rejects.toThrow(`waiting for ${lock} (held by pid ${process.pid})`);
  });
});
