import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
/** The built CLI, as a user runs it. */
export const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');
export const exec = promisify(execFile);

/**
 * Writes a zoo spec of three small clean organisms, one (task, architecture, seed) group each
 * (dev seed 1, test seeds 2 and 3), to `dir/spec.json`; returns its path. Enough to kill a build
 * between two organisms, or to give each of three shards one group.
 */
export async function writeSmallSpec(dir: string, name: string): Promise<string> {
  const file = join(dir, 'spec.json');
  await writeFile(
    file,
    JSON.stringify({
      name,
      tasks: ['modsum'],
      architectures: ['mlp'],
      recipes: ['clean'],
      splits: { dev: { seeds: [1] }, test: { seeds: [2, 3] } },
      training: { capabilitySteps: 250, plantSteps: 30 },
    }),
  );
  return file;
}
