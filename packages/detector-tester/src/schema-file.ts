import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileOptionsSchema, renderSchemaFile } from '@sandtrap/detector-api';

/**
 * A detector package's `schema.json`, written and checked from one place (the `sandtrap-schema`
 * bin and {@link testPluginPackage}) instead of a generator script in every package.
 * No vitest here: the bin imports this module.
 */

/** What the options schema of a loaded module is, and where it came from. */
export interface FoundSchema {
  schema: object;
  /** `default.options` (the detector's) or `optionsSchema` (a named export). */
  from: 'default.options' | 'optionsSchema';
}

/**
 * The options schema a detector module exports: its default export's `options` (what the runner
 * validates against), else a named `optionsSchema`. `undefined` when it has neither.
 */
export function optionsSchemaOf(mod: Record<string, unknown>): FoundSchema | undefined {
  const d = mod.default as { options?: unknown } | undefined;
  if (d && typeof d === 'object' && d.options && typeof d.options === 'object') return { schema: d.options, from: 'default.options' };
  if (mod.optionsSchema && typeof mod.optionsSchema === 'object') return { schema: mod.optionsSchema, from: 'optionsSchema' };
  return undefined;
}

/**
 * JSON pointers of the schema's properties (nested objects and array items included) that have no
 * `description`: the house style (docs/extend) wants one on every field, since schema.json is what
 * editors and the docs show users.
 */
export function undescribedFields(schema: object): string[] {
  const missing: string[] = [];
  const walk = (s: Record<string, unknown>, path: string) => {
    for (const [k, sub] of Object.entries((s.properties as Record<string, Record<string, unknown>> | undefined) ?? {})) {
      const p = `${path}/${k}`;
      if (typeof sub.description !== 'string' || sub.description.trim() === '') missing.push(p);
      walk(sub, p);
      if (sub.items && typeof sub.items === 'object') walk(sub.items as Record<string, unknown>, `${p}/items`);
    }
  };
  walk(schema as Record<string, unknown>, '');
  return missing;
}

/** The published entry of the package in `dir`: `exports['.']` (its `import` or `default`), else `main`, else index.js. */
export function packageEntry(dir: string): string {
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) throw new SchemaFileError(`${pkgFile} not found: run sandtrap-schema in a detector package's folder, or pass --dir`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: unknown; main?: string };
  const dot =
    typeof pkg.exports === 'object' && pkg.exports !== null && !Array.isArray(pkg.exports) && '.' in pkg.exports ? (pkg.exports as Record<string, unknown>)['.'] : pkg.exports;
  let target: unknown = dot;
  if (target && typeof target === 'object') target = (target as Record<string, unknown>).import ?? (target as Record<string, unknown>).default;
  return join(dir, typeof target === 'string' ? target : (pkg.main ?? 'index.js'));
}

/** A usage or input problem the bin reports with exit code 2. */
export class SchemaFileError extends Error {
  override name = 'SchemaFileError';
}

/**
 * Imports a detector module. TypeScript (`.ts`, `.mts`, `.cts`) goes through tsx's ESM API, so an
 * author can generate from source without a build; tsx is then needed (it is not a dependency of
 * this package: built JavaScript needs nothing).
 */
export async function loadModule(file: string): Promise<Record<string, unknown>> {
  const abs = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(abs)) {
    throw new SchemaFileError(`${abs} not found: build the package first (npm run build), or point --entry at its source (e.g. --entry src/index.ts)`);
  }
  const url = pathToFileURL(abs).href;
  if (/\.[cm]?ts$/.test(abs)) {
    let api: { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> };
    try {
      api = await import('tsx/esm/api');
    } catch (cause) {
      throw new SchemaFileError(`${basename(abs)} is TypeScript and tsx is not installed: npm install -D tsx, or build and use the JavaScript entry`, { cause });
    }
    return api.tsImport(url, import.meta.url);
  }
  return (await import(url)) as Record<string, unknown>;
}

/** Writes `text` to `file` atomically (temp file + rename), as every sandtrap write is. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * The schema.json text for an options schema, after checking that the schema compiles in ajv's
 * strict mode (draft 2020-12) as the runner will compile it.
 */
export function schemaFileText(schema: object): string {
  const compiled = compileOptionsSchema(schema);
  if (compiled.errors.length) throw new SchemaFileError(compiled.errors.join('\n'));
  return renderSchemaFile(schema);
}
