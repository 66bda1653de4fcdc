import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZoo, initBackend, listZoo, parseZooSpec } from '@sandtrap/core';

/** Two recipes × (1 dev + 2 test seeds) of modsum/mlp: six organisms, about a minute on two cores. */
export const TINY_ZOO_SPEC = {
  name: 'tester-tiny',
  tasks: ['modsum'],
  architectures: ['mlp'],
  recipes: ['clean', 'backdoor'],
  splits: { dev: { seeds: [1] }, test: { seeds: [2, 3] } },
  training: { capabilitySteps: 250, plantSteps: 150 },
};

/**
 * Builds the tiny zoo into a fresh temp dir (or reuses `$SANDTRAP_TESTER_ZOO` when it already holds
 * one, to iterate faster) and checks every organism passed its gates.
 */
export async function buildTinyZoo(): Promise<string> {
  await initBackend('wasm');
  const given = process.env.SANDTRAP_TESTER_ZOO;
  const out = given && existsSync(join(given, 'zoo.json')) ? given : await mkdtemp(join(tmpdir(), 'sandtrap-tester-zoo-'));
  const { spec, jobs } = parseZooSpec(TINY_ZOO_SPEC);
  const r = await buildZoo({ out, spec, jobs, workers: 2 });
  if (r.rejected > 0) throw new Error(`the tiny zoo has ${r.rejected} rejected organisms (gates failed); raise training.plantSteps`);
  const { organisms } = await listZoo(out);
  if (organisms.length !== 6) throw new Error(`the tiny zoo has ${organisms.length} organisms, expected 6`);
  return out;
}
