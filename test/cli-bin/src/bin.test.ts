import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');

async function sandtrap(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('the sandtrap binary', () => {
  it('doctor --json writes nothing but JSON to stdout, naming the wasm backend', async () => {
    const r = await sandtrap(['doctor', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).backend).toBe('wasm');
  });

  it('SANDTRAP_BACKEND forces a backend; the pure-JS cpu backend prints no banner to stdout', async () => {
    const r = await sandtrap(['doctor', '--json'], { SANDTRAP_BACKEND: 'cpu' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).backend).toBe('cpu');
  });

  it('bad input exits 2 with one line on stderr', async () => {
    const r = await sandtrap(['train', '--task', 'modsum', '--arch', 'mlp', '--recipe', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/unknown recipe 'nope'; valid recipes: /);
  });

  it('--version prints the version', async () => {
    const r = await sandtrap(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
