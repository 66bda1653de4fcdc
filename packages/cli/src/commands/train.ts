import { resolve } from 'node:path';
import { buildOrganism, ensureWritableDir, initBackend, organismId, parseBackendRequest, resolveSpec, SandtrapError, writeOrganism, type ResolvedSpec } from '@sandtrap/core';
import { printJson, type GlobalOptions, type IO } from '../io.js';
import { parseNumberParams, parsePositiveInt, parseSeed } from '../params.js';
import { createProgress } from '../progress.js';

export interface TrainFlags {
  task: string;
  arch: string;
  recipe: string;
  seed?: string;
  out?: string;
  json?: boolean;
  taskParam?: string[];
  archParam?: string[];
  recipeParam?: string[];
  attempts?: string;
}

export async function train(io: IO, g: GlobalOptions, f: TrainFlags): Promise<number> {
  // Everything a user can get wrong is checked before the backend loads and before any training.
  const spec: ResolvedSpec = resolveSpec({
    task: { name: f.task, params: parseNumberParams(f.taskParam, '--task-param') },
    arch: { name: f.arch, params: parseNumberParams(f.archParam, '--arch-param') },
    recipe: { name: f.recipe, params: parseNumberParams(f.recipeParam, '--recipe-param') },
    seed: parseSeed(f.seed),
  });
  const maxAttempts = parsePositiveInt(f.attempts, '--attempts', 3);
  const out = resolve(io.cwd, f.out ?? `sandtrap-organisms/${organismId(spec)}`);
  await ensureWritableDir(out, '--out');
  const backend = await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  const progress = createProgress(io, { quiet: g.quiet });
  progress.log(`sandtrap train: ${spec.recipe.name} on ${spec.task.name}/${spec.arch.name}, seed ${spec.seed} — ${backend.reason}`);
  const t0 = performance.now();
  const built = await buildOrganism(spec, {
    maxAttempts,
    onProgress: (e) => progress.update(`seed ${e.seed} ${e.phase}`, e.step, e.steps, `loss ${e.loss.toFixed(4)} · ${Math.round(e.examplesPerSecond)} ex/s`),
  });
  progress.stop();
  try {
    await writeOrganism(out, built);
  } finally {
    built.model.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { truth } = built;
  const failed = Object.entries(truth.gates)
    .filter(([, gt]) => !gt.pass)
    .map(([k]) => k);
  if (f.json) {
    printJson(io, {
      id: truth.id,
      dir: out,
      kind: truth.kind,
      misaligned: truth.misaligned,
      admitted: truth.admitted,
      seed: truth.seed,
      rejected: truth.rejected,
      gates: truth.gates,
      backend: backend.name,
      seconds: Math.round(seconds * 100) / 100,
    });
  } else {
    const lines = [
      `${truth.admitted ? 'admitted' : 'NOT admitted'}: ${truth.kind} organism ${truth.id} (seed ${truth.seed}) in ${seconds.toFixed(1)} s → ${out}`,
      ...Object.entries(truth.gates).map(([k, gt]) => `  ${gt.pass ? '✓' : '✗'} ${k} = ${gt.value} (${gt.op} ${gt.threshold})`),
    ];
    if (truth.rejected.length) lines.push(`  rejected seeds: ${truth.rejected.map((r) => `${r.seed} (${r.failed.join(', ')})`).join('; ')}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  if (failed.length) {
    throw new SandtrapError(
      'SANDTRAP_GATES_FAILED',
      `train: gates failed after ${maxAttempts} seed(s): ${failed.join(', ')}; the organism was written but is not admitted — raise --attempts, or try another --seed or --recipe-param`,
    );
  }
  return 0;
}
