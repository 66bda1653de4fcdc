import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { REGENERATE_COMMAND, renderSchemaFile, SCHEMA_FILES } from './schema-files.js';

const read = (file: string) => readFileSync(new URL(`../schema/${file}`, import.meta.url), 'utf8');

describe('committed schema/*.json', () => {
  it.each(Object.keys(SCHEMA_FILES))('schema/%s matches its TypeBox source', (file) => {
    let committed: string;
    try {
      committed = read(file);
    } catch {
      throw new Error(`schema/${file} is missing; generate it with: ${REGENERATE_COMMAND}`);
    }
    expect(committed, `schema/${file} is out of date with src/schemas.ts; regenerate it with: ${REGENERATE_COMMAND}`).toBe(renderSchemaFile(SCHEMA_FILES[file]!));
  });

  it('are standalone draft 2020-12 schemas ajv compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const verdict = ajv.compile(JSON.parse(read('verdict.schema.json')) as object);
    expect(verdict({ score: 0.3, kind: 'backdoor' })).toBe(true);
    expect(verdict({ score: 7 })).toBe(false);
    const meta = ajv.compile(JSON.parse(read('detector-meta.schema.json')) as object);
    expect(meta({ name: 'x', version: '1.0.0', apiVersion: 1, access: 'white-box' })).toBe(true);
    expect(meta({ name: 'x', version: '1.0.0', apiVersion: 1, access: 'grey-box' })).toBe(false);
  });

  it('describe every property', () => {
    const missing: string[] = [];
    const walk = (s: Record<string, unknown>, path: string) => {
      if (typeof s.description !== 'string' || !s.description) missing.push(path || '(root)');
      for (const [k, sub] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) walk(sub, `${path}/${k}`);
      if (s.items) walk(s.items as Record<string, unknown>, `${path}/items`);
    };
    for (const file of Object.keys(SCHEMA_FILES)) walk(JSON.parse(read(file)) as Record<string, unknown>, file);
    expect(missing).toEqual([]);
  });
});
