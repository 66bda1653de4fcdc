import { afterAll, describe, expect, it } from 'vitest';
import { isSandtrapError } from './errors.js';
import { ProcessPool, WorkerError } from './pool.js';

const pool = new ProcessPool({ file: new URL('./pool.fixture-worker.ts', import.meta.url), size: 1 });
afterAll(() => pool.close());

async function failure(kind: string, timeoutMs?: number): Promise<WorkerError> {
  const e = await pool.run({ kind }, undefined, { timeoutMs }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkerError);
  return e as WorkerError;
}

describe('WorkerError codes', () => {
  it('a sandtrap error thrown in the worker keeps its code and exit code in the parent', async () => {
    const e = await failure('coded');
    expect(e).toMatchObject({ code: 'SANDTRAP_SPEC_INVALID', exitCode: 2, message: 'spec.json: /tasks: must be array' });
    expect(isSandtrapError(e)).toBe(true);
  });

  it('an uncoded worker error stays uncoded, so the CLI reports it as an internal error', async () => {
    const e = await failure('node');
    expect(e.code).toBeUndefined();
    expect(e.exitCode).toBeUndefined();
    expect(isSandtrapError(e)).toBe(false);
    expect(e.stack).toMatch(/pool\.fixture-worker/);
  });

  it("the pool's own failures carry TIMEOUT and WORKER_DIED with exit code 1", async () => {
    expect(await failure('hang', 300)).toMatchObject({ code: 'SANDTRAP_TIMEOUT', exitCode: 1 });
    expect(await failure('exit')).toMatchObject({ code: 'SANDTRAP_WORKER_DIED', exitCode: 1 });
    // The pool replaces dead workers.
    await expect(pool.run({ kind: 'fine' })).resolves.toEqual({ ok: 'fine' });
  }, 30_000);
});
