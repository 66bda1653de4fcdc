import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, exec, writeSmallSpec } from './small-spec.js';

let dir: string;
let specFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-resume-'));
  specFile = await writeSmallSpec(dir, 'resume');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function build(out: string) {
  const r = await exec(process.execPath, [bin, 'zoo', 'build', '--spec', specFile, '--out', out, '--workers', '1', '--json'], { env: { ...process.env, CI: '1' } });
  return { out: JSON.parse(r.stdout) as { built: number; skipped: number; organisms: number }, err: r.stderr };
}

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] zoo build: kill and resume', () => {
  it('a killed build resumes without retraining finished organisms and leaves no corrupt file', async () => {
    const out = join(dir, 'zoo');
    const child = spawn(process.execPath, [bin, 'zoo', 'build', '--spec', specFile, '--out', out, '--workers', '1'], {
      env: { ...process.env, CI: '1' },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Kill the whole process group (the CLI and its training worker) as soon as one organism is in.
        if (/\[1\/3\] .*admitted/.test(stderr)) {
          process.kill(-child.pid!, 'SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(stderr).toMatch(/\[1\/3\] .*admitted/);
    const before = (await readdir(join(out, 'organisms'))).filter((n) => !n.startsWith('.'));
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(3);
    const mtimes = await Promise.all(before.map(async (id) => (await stat(join(out, 'organisms', id, 'weights.bin'))).mtimeMs));

    const resumed = await build(out);
    expect(resumed.out.skipped).toBe(before.length);
    expect(resumed.out.built).toBe(3 - before.length);
    expect(resumed.out.organisms).toBe(3);
    expect(resumed.err).toMatch(new RegExp(`${before.length} already built, ${3 - before.length} to train`));
    // Finished organisms were not rewritten.
    const after = await Promise.all(before.map(async (id) => (await stat(join(out, 'organisms', id, 'weights.bin'))).mtimeMs));
    expect(after).toEqual(mtimes);
    // No temp folders, and every organism is whole and hash-valid.
    const names = await readdir(join(out, 'organisms'));
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    const verify = await exec(process.execPath, [bin, 'zoo', 'verify', out, '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, organisms: 3, failed: 0 });

    // A finished build reruns without training anything.
    const again = await build(out);
    expect(again.out).toMatchObject({ built: 0, skipped: 3, organisms: 3 });
    const index = JSON.parse(await readFile(join(out, 'zoo.json'), 'utf8'));
    expect(index.organisms.map((o: { split: string }) => o.split).sort()).toEqual(['dev', 'test', 'test']);
  });
});
