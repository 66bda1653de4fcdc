import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSchemaCli } from './schema-cli.js';
import { undescribedFields } from './schema-file.js';

// Fake detector packages are real folders with a package.json and a module, as an author has them.
let dir: string;
const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
};
const options = {
  type: 'object',
  properties: { n: { type: 'integer', minimum: 1, default: 8, description: 'How many.' } },
  additionalProperties: false,
};
const detectorModule = (schema: unknown) =>
  `export default { meta: { name: 'demo', version: '0.1.0', apiVersion: 1, access: 'black-box' }, options: ${JSON.stringify(schema)}, detect: () => ({ score: 0.5 }) };\n`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandtrap-schema-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sandtrap-detector-demo', type: 'module', exports: { '.': './index.js' } }));
  writeFileSync(join(dir, 'index.js'), detectorModule(options));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sandtrap-schema', () => {
  it('write renders the default export’s options; check passes on it and fails, naming the fix, after a change', async () => {
    const w = io();
    expect(await runSchemaCli(['write', '--dir', dir], w.io)).toBe(0);
    expect(w.out.join('')).toMatch(/wrote .*schema\.json from default\.options/);
    expect(JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8'))).toEqual({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...options });

    expect(await runSchemaCli(['check', '--dir', dir], io().io)).toBe(0);
    // A module is cached by URL: the changed options go in a new file, named with --entry.
    writeFileSync(join(dir, 'changed.js'), detectorModule({ ...options, properties: { n: { ...options.properties.n, default: 9 } } }));
    const c = io();
    expect(await runSchemaCli(['check', '--dir', dir, '--entry', 'changed.js'], c.io)).toBe(1);
    expect(c.err.join('')).toMatch(/schema\.json is out of date with the options schema \(default\.options\); regenerate it with: sandtrap-schema write --dir /);
  });

  it('check fails when schema.json is missing', async () => {
    const c = io();
    expect(await runSchemaCli(['check', '--dir', dir], c.io)).toBe(1);
    expect(c.err.join('')).toMatch(/schema\.json is missing; generate it with: sandtrap-schema write/);
  });

  it('reads a named optionsSchema export when the default export has no options', async () => {
    writeFileSync(join(dir, 'index.js'), `export const optionsSchema = ${JSON.stringify(options)};\nexport default { meta: {}, detect() {} };\n`);
    const w = io();
    expect(await runSchemaCli(['write', '--dir', dir], w.io)).toBe(0);
    expect(w.out.join('')).toMatch(/from optionsSchema/);
  });

  it('loads a TypeScript entry through tsx', async () => {
    writeFileSync(
      join(dir, 'src.ts'),
      `const n: number = 3;\nexport const optionsSchema = { type: 'object', properties: { k: { type: 'integer', default: n, description: 'k.' } } } as const;\n`,
    );
    expect(await runSchemaCli(['write', '--dir', dir, '--entry', 'src.ts'], io().io)).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')).properties.k.default).toBe(3);
  });

  it('exits 2 on bad usage, a module without options, a schema ajv rejects, or a missing build', async () => {
    const u = io();
    expect(await runSchemaCli(['generate'], u.io)).toBe(2);
    expect(u.err.join('')).toMatch(/expected one command, write or check; found generate/);

    writeFileSync(join(dir, 'none.js'), 'export default { meta: {}, detect() {} };\n');
    const n = io();
    expect(await runSchemaCli(['write', '--dir', dir, '--entry', 'none.js'], n.io)).toBe(2);
    expect(n.err.join('')).toMatch(/exports no options schema/);

    writeFileSync(join(dir, 'bad.js'), detectorModule({ type: 'object', properties: { n: { type: 'integer', minimun: 1 } } }));
    const b = io();
    expect(await runSchemaCli(['write', '--dir', dir, '--entry', 'bad.js'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/options is not a valid JSON Schema.*minimun/);

    const m = io();
    expect(await runSchemaCli(['write', '--dir', dir, '--entry', 'dist/index.js'], m.io)).toBe(2);
    expect(m.err.join('')).toMatch(/dist\/index\.js not found: build the package first/);
  });

  it('warns about options without a description', async () => {
    writeFileSync(
      join(dir, 'index.js'),
      detectorModule({
        type: 'object',
        properties: { n: { type: 'integer' }, m: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } }, description: 'm.' } },
      }),
    );
    const w = io();
    expect(await runSchemaCli(['write', '--dir', dir], w.io)).toBe(0);
    expect(w.err.join('')).toMatch(/no description on \/n, \/m\/items\/k/);
    expect(undescribedFields(options)).toEqual([]);
  });
});
