import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, exitCodeOf, isErrorCode, isSandtrapError, SandtrapError } from './errors.js';

const doc = readFileSync(new URL('../../../docs/reference/errors.md', import.meta.url), 'utf8');

/** `### SANDTRAP_X` sections of errors.md, each with its body up to the next heading. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = doc.split(/^### /m).slice(1);
  for (const p of parts) {
    const [head = '', ...rest] = p.split('\n');
    out.set(head.trim(), rest.join('\n').split(/^## /m)[0]!);
  }
  return out;
}

describe('docs/reference/errors.md', () => {
  it('documents exactly the codes in ERROR_CODES, each once', () => {
    const headings = [...doc.matchAll(/^### (\S+)\s*$/gm)].map((m) => m[1]);
    expect([...headings].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives every code when it happens, its exit code, an example message and the fix', () => {
    for (const [code, body] of sections()) {
      for (const field of ['**When**', '**Exit code**', '**Example**', '**Fix**']) expect(body, `${code} lacks ${field}`).toContain(field);
    }
  });

  it('its summary table lists every code with the exit code the CLI uses', () => {
    for (const code of ERROR_CODES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| [\`${code}\`]`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(exitCodeOf(code)));
    }
  });
});

describe('SandtrapError', () => {
  it('takes its exit code from the code unless the thrower chose one, and keeps the cause', () => {
    const cause = new Error('ENOENT');
    const e = new SandtrapError('SANDTRAP_SPEC_INVALID', 'x', { cause });
    expect(e).toMatchObject({ code: 'SANDTRAP_SPEC_INVALID', exitCode: 2, cause });
    expect(new SandtrapError('SANDTRAP_GATES_FAILED', 'x').exitCode).toBe(1);
    expect(new SandtrapError('SANDTRAP_TIMEOUT', 'x', { exitCode: 2 }).exitCode).toBe(2);
  });

  it('is recognised by shape across package copies, but a Node error code is not ours', () => {
    const copy = Object.assign(new Error('m'), { code: 'SANDTRAP_ZOO_INVALID', exitCode: 2 });
    expect(isSandtrapError(copy)).toBe(true);
    expect(isSandtrapError(Object.assign(new Error('m'), { code: 'ENOENT' }))).toBe(false);
    expect(isSandtrapError(Object.assign(new Error('m'), { code: 'SANDTRAP_NOT_A_CODE' }))).toBe(false);
    expect(isErrorCode('SANDTRAP_BAD_ARGUMENT')).toBe(true);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it('the codes are unique and all SANDTRAP_*', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const c of ERROR_CODES) expect(c).toMatch(/^SANDTRAP_[A-Z_]+$/);
  });
});
