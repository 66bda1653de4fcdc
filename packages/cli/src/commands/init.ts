import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { SANDTRAP_VERSION, SandtrapError } from '@sandtrap/core';
import type { IO } from '../io.js';
import { detectorTemplate } from '../templates/detector.js';

export interface InitDetectorFlags {
  dir?: string;
}

/** A detector's short name: lowercase letters, digits and dashes, starting with a letter or digit. */
export const DETECTOR_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

function bad(name: string, why: string, code: 'SANDTRAP_BAD_ARGUMENT' | 'SANDTRAP_OUT_NOT_WRITABLE' = 'SANDTRAP_BAD_ARGUMENT', cause?: unknown): SandtrapError {
  return new SandtrapError(code, `init detector ${name}: ${why}`, { cause });
}

/** Is `dir` absent or an empty directory? Throws (exit 2) when it is a file or has entries. */
async function assertEmptyTarget(name: string, dir: string, shown: string): Promise<void> {
  let s;
  try {
    s = await stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw bad(name, `cannot use ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'SANDTRAP_OUT_NOT_WRITABLE', e);
  }
  if (!s.isDirectory()) throw bad(name, `${shown} exists and is not a directory; choose another --dir`, 'SANDTRAP_OUT_NOT_WRITABLE');
  const entries = await readdir(dir);
  if (entries.length > 0)
    throw bad(
      name,
      `${shown} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); refusing to overwrite — choose another --dir or empty it`,
      'SANDTRAP_OUT_NOT_WRITABLE',
    );
}

/**
 * `sandtrap init detector NAME [--dir DIR]`: scaffolds a publishable detector package
 * (`sandtrap-detector-NAME`, plain ESM JavaScript, no build step) with a working black-box
 * example, a test using @sandtrap/detector-tester, a README and a changeset-ready layout.
 */
export async function initDetector(io: IO, name: string, opts: InitDetectorFlags = {}): Promise<number> {
  if (name.startsWith('sandtrap-detector-')) {
    throw bad(name, `give the short name (${name.slice('sandtrap-detector-'.length) || 'NAME'}); the package is named sandtrap-detector-<name>`);
  }
  if (!DETECTOR_NAME_PATTERN.test(name)) {
    throw bad(name, `the name must match ${DETECTOR_NAME_PATTERN.source} (lowercase letters, digits and dashes, e.g. header-probe)`);
  }
  if (name.length > 196) throw bad(name, 'the name is too long for an npm package name');
  const pkg = `sandtrap-detector-${name}`;
  const dir = resolve(io.cwd, opts.dir ?? pkg);
  const shown = relative(io.cwd, dir) || '.';
  await assertEmptyTarget(name, dir, shown);

  const files = detectorTemplate({ name, sandtrapVersion: SANDTRAP_VERSION });
  for (const [file, text] of Object.entries(files)) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { flag: 'wx' });
  }

  const cd = shown === '.' ? [] : [`  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}`];
  io.stdout.write(
    [
      `Created ${pkg} in ${shown}:`,
      ...Object.keys(files).map((f) => `  ${f}`),
      '',
      'Next steps:',
      ...cd,
      '  npm install',
      '  npm run zoo          # build the smoke zoo to test against (sandtrap-zoo/smoke)',
      '  npm test             # run the detector tester',
      '  npx sandtrap detect ./src/index.js --zoo sandtrap-zoo/smoke --json',
      '  npm pack --dry-run   # then: npx changeset, npx changeset publish',
      '',
    ].join('\n'),
  );
  return 0;
}
