import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { SandtrapError, validate } from '@sandtrap/core';
import { ciMethodSchema } from './board-schema.js';

/**
 * `sandtrap.config.{ts,mts,js,mjs,json}`: what `sandtrap scoreboard` runs. Every key is optional;
 * command-line flags override it. Paths are relative to the config file's folder.
 */
export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'editor hint; ignored' })),
    zoo: Type.Optional(Type.String({ minLength: 1, description: 'zoo folder (default sandtrap-zoo/smoke)' })),
    detectors: Type.Optional(
      Type.Array(
        Type.Union([
          Type.String({ minLength: 1, description: 'built-in id, package name or path' }),
          // A draft 2020-12 tuple (TypeBox's Tuple emits the older items-array form, which ajv's 2020 mode rejects).
          Type.Unsafe<[string, Record<string, unknown>]>({
            type: 'array',
            prefixItems: [{ type: 'string', minLength: 1 }, { type: 'object' }],
            items: false,
            minItems: 2,
            description: '[ref, options]',
          }),
        ]),
        { minItems: 1, description: 'detectors to run, in report order' },
      ),
    ),
    out: Type.Optional(Type.String({ minLength: 1, description: 'output folder (default sandtrap-report)' })),
    workers: Type.Optional(Type.Integer({ minimum: 1, description: 'parallel cell processes (default: cores)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, description: 'run seed (default 1)' })),
    ci: Type.Optional(ciMethodSchema("AUROC interval: Newcombe's score interval (default) or the stratified bootstrap")),
    resamples: Type.Optional(Type.Integer({ minimum: 1, description: 'bootstrap resamples, with ci: bootstrap (default 1000)' })),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'baseline tolerance (default 0.05)' })),
    baseline: Type.Optional(Type.String({ minLength: 1, description: 'an earlier scoreboard.json to compare with' })),
    timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'per-cell kill timeout (default: wall budget + 30 s)' })),
    memoryMb: Type.Optional(Type.Integer({ minimum: 64, description: 'heap limit of a cell process (default 2048)' })),
    holdout: Type.Optional(Type.Literal('kind', { description: "also score leave-one-kind-out: configure() without each misaligned kind in turn (the board's unseenKind)" })),
    retryErrors: Type.Optional(Type.Boolean({ description: 'on a rerun, run the cells recorded as errors again (default false)' })),
    freshProcess: Type.Optional(
      Type.Boolean({ description: "start each cell's detector process for that cell alone (default false: a detector's cells share its process, checked after each)" }),
    ),
    budget: Type.Optional(
      Type.Object(
        {
          queries: Type.Optional(Type.Integer({ minimum: 0 })),
          finetuneSteps: Type.Optional(Type.Integer({ minimum: 0 })),
          wallSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false, description: 'per-cell limits' },
      ),
    ),
  },
  { additionalProperties: false, title: 'sandtrap.config', description: 'sandtrap scoreboard configuration' },
);

export type SandtrapConfig = Static<typeof ConfigSchema>;

/** Types a config file's default export (`export default defineConfig({...})`); returns it unchanged. */
export function defineConfig(config: SandtrapConfig): SandtrapConfig {
  return config;
}

/** Config file names looked for in the working directory, in this order. */
export const CONFIG_FILES = ['sandtrap.config.ts', 'sandtrap.config.mts', 'sandtrap.config.js', 'sandtrap.config.mjs', 'sandtrap.config.json'];

export interface LoadedConfig {
  /** The config file, absolute; undefined when none was found (defaults only). */
  file?: string;
  /** The folder relative paths in it resolve from. */
  dir: string;
  config: SandtrapConfig;
}

/** The config in `file`, or the first of {@link CONFIG_FILES} in `cwd`, validated. None found → `{}`. */
export async function loadConfig(cwd: string, file?: string): Promise<LoadedConfig> {
  const path = file ? resolve(cwd, file) : CONFIG_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f));
  if (!path) return { dir: cwd, config: {} };
  if (file && !existsSync(path)) throw new SandtrapError('SANDTRAP_CONFIG_INVALID', `--config ${file}: no such file; create it (see docs/reference/config.md) or drop --config`);
  let data: unknown;
  let mod: { default?: unknown } | undefined;
  const ext = extname(path);
  try {
    if (ext === '.json') data = JSON.parse(await readFile(path, 'utf8'));
    else if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
      // jiti compiles TypeScript config files on the fly (as ESLint and Tailwind do), so a
      // sandtrap.config.ts works on every supported Node version without a build step.
      const { createJiti } = await import('jiti');
      const jiti = createJiti(import.meta.url, { moduleCache: false, interopDefault: false });
      mod = await jiti.import<{ default?: unknown }>(path);
    } else {
      mod = (await import(`${pathToFileURL(path).href}?t=${Date.now()}`)) as { default?: unknown };
    }
  } catch (e) {
    throw new SandtrapError('SANDTRAP_CONFIG_INVALID', `${path}: cannot load it (${(e as Error).message.split('\n')[0]}); fix the file or pass another with --config`, {
      cause: e,
    });
  }
  if (mod) {
    // A module without a default export is not an empty config: it is a mistake.
    if (mod.default === undefined) {
      throw new SandtrapError('SANDTRAP_CONFIG_INVALID', `${path}: no default export; write the config as export default defineConfig({...}) (see docs/reference/config.md)`);
    }
    data = mod.default;
  }
  const r = validate(ConfigSchema, data);
  if (!r.value) throw new SandtrapError('SANDTRAP_CONFIG_INVALID', `${path}: ${r.errors.slice(0, 3).join('; ')}; see docs/reference/config.md`);
  return { file: path, dir: dirname(path), config: r.value };
}
