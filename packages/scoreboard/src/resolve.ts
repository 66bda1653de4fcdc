import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SandtrapError } from '@sandtrap/core';

/** A detector reference as written in a config or on the command line. */
export type DetectorRef = string | [string, Record<string, unknown>];

export interface LocatedDetector {
  /** The reference as the user wrote it (for messages). */
  ref: string;
  /** How it was found. */
  via: 'built-in' | 'package' | 'path';
  /** Package name, when it came from a package. */
  packageName?: string;
  /** The package (or file's) root folder, real path: what the isolated worker may read. */
  root: string;
  /** file: URL of the ESM entry to import. */
  entry: string;
  options: Record<string, unknown>;
}

const BUILT_IN = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Find a detector's module without running it (its code runs only inside an isolated worker).
 * A bare id (`noise-injection`) is a built-in: package `@sandtrap/detector-<id>`. A name with a
 * scope or the `sandtrap-detector-` prefix is a package. Anything starting with `.` or `/` is a path,
 * relative to `baseDir` (the config file's folder, or the working directory).
 */
export function locateDetector(ref: DetectorRef, baseDir: string): LocatedDetector {
  const [spec, options] = Array.isArray(ref) ? ref : [ref, {}];
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `detector reference ${JSON.stringify(ref)}: expected a built-in id, a package name, a path, or [ref, options]`);
  }
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const p = resolve(baseDir, spec);
    if (!existsSync(p)) {
      throw new SandtrapError('SANDTRAP_PLUGIN_NOT_FOUND', `detector '${spec}': ${p} does not exist (paths are relative to ${baseDir})`);
    }
    if (statSync(p).isDirectory()) return { ...fromPackageDir(spec, realpathSync(p), 'path'), options };
    return { ref: spec, via: 'path', root: realpathSync(dirname(p)), entry: pathToFileURL(realpathSync(p)).href, options };
  }
  const builtIn = BUILT_IN.test(spec) && !spec.startsWith('sandtrap-detector-');
  const name = builtIn ? `@sandtrap/detector-${spec}` : spec;
  const dir = findPackage(name, [baseDir, dirname(fileURLToPath(import.meta.url))]);
  if (!dir) {
    // `fixtures/x.js` is read as a package name; when it names a file here, say so.
    if ((/[\\/]/.test(spec) || /\.(?:js|mjs|ts)$/.test(spec)) && !spec.startsWith('@') && existsSync(resolve(baseDir, spec))) {
      throw new SandtrapError(
        'SANDTRAP_PLUGIN_NOT_FOUND',
        `detector '${spec}': no package of that name; did you mean ./${spec}? (a path starts with ./ or /, relative to ${baseDir})`,
      );
    }
    const hint = builtIn
      ? `'${spec}' is not a built-in detector that is installed (looked for ${name}); install it with: npm install -D ${name}`
      : `package ${name} is not installed; install it with: npm install -D ${name}`;
    throw new SandtrapError('SANDTRAP_PLUGIN_NOT_FOUND', `detector '${spec}': ${hint}`);
  }
  return { ...fromPackageDir(spec, dir, builtIn ? 'built-in' : 'package', name), options };
}

function findPackage(name: string, from: string[]): string | undefined {
  for (const start of from) {
    let d = resolve(start);
    for (;;) {
      const candidate = join(d, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) return realpathSync(dirname(candidate));
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}

type Exports = string | { [k: string]: Exports } | null | undefined;

/** The ESM entry of a package: exports['.'] (import / node / default conditions), else main, else index.js. */
function fromPackageDir(ref: string, dir: string, via: LocatedDetector['via'], name?: string): Omit<LocatedDetector, 'options'> {
  let pkg: { name?: string; exports?: Exports | Record<string, Exports>; main?: string };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch (e) {
    throw new SandtrapError('SANDTRAP_PLUGIN_NOT_FOUND', `detector '${ref}': ${join(dir, 'package.json')} is unreadable (${(e as Error).message})`);
  }
  const pick = (x: Exports): string | undefined => {
    if (typeof x === 'string') return x;
    if (!x || typeof x !== 'object') return undefined;
    if ('.' in x) return pick(x['.']);
    for (const c of ['import', 'node', 'default']) if (c in x) return pick(x[c]);
    return undefined;
  };
  const rel = pick(pkg.exports) ?? pkg.main ?? 'index.js';
  const file = join(dir, rel);
  if (!existsSync(file)) {
    throw new SandtrapError('SANDTRAP_PLUGIN_NOT_FOUND', `detector '${ref}': its entry ${file} does not exist (was the package built?)`);
  }
  return { ref, via, packageName: name ?? pkg.name, root: dir, entry: pathToFileURL(file).href };
}

/**
 * The detectors sandtrap ships (packages `@sandtrap/detector-<id>` under plugins/), in report
 * order: the three null detectors first, then black-box, gray-box, white-box.
 */
export const BUILT_IN_DETECTORS = [
  'random',
  'metadata-leak',
  'confidence',
  'difficulty-profile',
  'context-consistency',
  'meta-classifier',
  'noise-injection',
  'finetune-elicitation',
  'latent-knowledge',
  'trigger-reconstruction',
] as const;
