import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { activeBackend, getTf } from './backend.js';
import { getArchitecture, resolveArchParams, type ArchDims } from './arch/index.js';
import { SandtrapError } from './errors.js';
import { writeFileAtomic, ensureWritableDir } from './fsutil.js';
import { contentHash, sha256 } from './hash.js';
import { Model } from './model.js';
import { getRecipe, recipeFor, resolveRecipeParams, SALTED_KEY, type DisclosedFeature, type Evaluator, type Gate, type PlantedTruth, type RecipeDeps } from './recipes/index.js';
import { deriveSeed, Rng } from './rng.js';
import { CardSchema, ModelJsonSchema, TruthSchema, validate, type Card, type ModelJson, type TrainingSpec, type Truth } from './schemas.js';
import { createTask, type AnyTask } from './tasks/index.js';
import type { Batch } from './tasks/types.js';
import { trainPhase, type PhaseStats, type ProgressEvent, type TrainBatch } from './train.js';
import { CODE_VERSION, SANDTRAP_VERSION } from './version.js';
import { encodeFloat16, roundToFloat16 } from './f16.js';

export const ORGANISM_FILES = ['card.json', 'truth.json', 'model.json', 'weights.bin'] as const;

export const DEFAULT_TRAINING: TrainingSpec = {
  capabilitySteps: 400,
  plantSteps: 300,
  batchSize: 256,
  learningRate: 0.003,
  plantLearningRate: 0.002,
};

/** Everything that determines an organism. */
export interface OrganismSpec {
  task: { name: string; params?: Record<string, number> };
  arch: { name: string; params?: Record<string, number> };
  recipe: { name: string; params?: Record<string, number> };
  training?: Partial<TrainingSpec>;
  seed: number;
  /**
   * A secret salt for the recipe's condition draws (sealed test splits: derived from the sealed
   * secret). With it, every condition stream is keyed by the salt too, and a hard recipe draws its
   * hidden condition from a stream of its own, so a card's disclosed features say nothing of it.
   */
  conditionSalt?: string;
}

/** A spec with every default filled in: the input to the content hash. */
export interface ResolvedSpec {
  task: { name: string; params: Record<string, number> };
  arch: { name: string; params: Record<string, number> };
  recipe: { name: string; params: Record<string, number> };
  training: TrainingSpec;
  seed: number;
  /** See {@link OrganismSpec.conditionSalt}; absent for every public organism. */
  conditionSalt?: string;
}

/** The default training schedule of an architecture: `DEFAULT_TRAINING` with its own defaults over it. */
export function trainingFor(arch: string): TrainingSpec {
  return { ...DEFAULT_TRAINING, ...getArchitecture(arch).training };
}

export function resolveSpec(spec: OrganismSpec): ResolvedSpec {
  if (!Number.isInteger(spec.seed) || spec.seed < 0 || spec.seed > 0x7fffffff) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `seed must be an integer in [0, 2147483647], got ${spec.seed}`);
  }
  const task = createTask(spec.task.name, spec.task.params);
  return {
    task: { name: task.name, params: { ...task.params } },
    arch: { name: getArchitecture(spec.arch.name).name, params: resolveArchParams(spec.arch.name, spec.arch.params) },
    recipe: { name: recipeFor(spec.recipe.name, task).name, params: resolveRecipeParams(spec.recipe.name, spec.recipe.params, task) },
    training: { ...trainingFor(spec.arch.name), ...spec.training },
    seed: spec.seed,
    ...(spec.conditionSalt ? { conditionSalt: spec.conditionSalt } : {}),
  };
}

/** The organism id: a content hash of its resolved spec (with the requested seed) and code version. Reveals nothing. */
export function organismId(spec: ResolvedSpec): string {
  return contentHash({ spec, codeVersion: CODE_VERSION });
}

export interface BuiltOrganism {
  model: Model;
  card: Card;
  truth: Truth;
  stats: PhaseStats[];
}

export interface BuildOptions {
  onProgress?: (e: ProgressEvent & { attempt: number; seed: number }) => void;
  /** Seeds to try (spec.seed, then seeds derived from it) before giving up. Default 3. */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Share phase-1 checkpoints and dependency models across builds in this process. */
  cache?: TrainingCache;
}

export function dimsOf(task: AnyTask): ArchDims {
  return { vocabSize: task.describe().vocab.length, seqLen: task.seqLen, classes: task.numClasses };
}

/**
 * The evaluator a recipe's gates are measured with: `model`'s predictions on `task`, with held-out
 * draws from the `'gates'` stream derived from `seed` (a stream the training never uses). Building
 * and re-verifying an organism both use it; experiments that check their own models against a
 * recipe's gates should too, so the gates are measured the same way.
 */
export function evaluator<T extends AnyTask>(model: Model, task: T, seed: number): Evaluator<T> {
  const predict = (b: Batch) => model.predictClasses(b.tokens, b.n);
  return {
    model,
    task,
    rng: Rng.derive(seed, 'gates'),
    predict,
    accuracy(b) {
      const p = predict(b);
      let c = 0;
      for (let i = 0; i < b.n; i++) if (p[i] === b.labels[i]) c++;
      return b.n ? c / b.n : 0;
    },
  };
}

type Weights = Record<string, { shape: number[]; values: Float32Array }>;

/**
 * Trained models shared between organisms built in one process: the phase-1 checkpoints and the
 * dependency models (`needs`). Keyed by content hash, so a hit is always the same computation.
 */
export class TrainingCache {
  private readonly bases = new Map<string, Weights>();
  private readonly deps = new Map<string, Weights>();
  hits = 0;

  /** A phase-1 checkpoint, trained by `make` on a miss. */
  base(key: string, make: () => Weights): Weights {
    return this.memo(this.bases, key, make);
  }

  /** A dependency model (`needs`), trained by `make` on a miss. */
  dep(key: string, make: () => Weights): Weights {
    return this.memo(this.deps, key, make);
  }

  /** Record a model another build may need as a dependency (its organism id is the key). */
  putDep(key: string, w: Weights): void {
    this.deps.set(key, w);
  }

  private memo(map: Map<string, Weights>, key: string, make: () => Weights): Weights {
    const w = map.get(key);
    if (w) {
      this.hits++;
      return w;
    }
    const made = make();
    map.set(key, made);
    return made;
  }
}

/**
 * Names the (task, architecture) pair a recipe draws its conditions for (hard tier, principle 6).
 * With a condition salt it is `salted:…`, a key no detector can compute, and hard recipes then
 * draw the hidden condition from its own stream.
 */
export function conditionKey(spec: { task: ResolvedSpec['task']; arch: ResolvedSpec['arch']; conditionSalt?: string }): string {
  if (spec.conditionSalt) return `${SALTED_KEY}${contentHash({ task: spec.task, arch: spec.arch, salt: spec.conditionSalt })}`;
  return contentHash({ task: spec.task, arch: spec.arch });
}

/** The key of a shared phase-1 checkpoint: everything phase 1 depends on. */
export function baseKey(spec: ResolvedSpec): string {
  const { capabilitySteps, batchSize, learningRate } = spec.training;
  return contentHash({ task: spec.task, arch: spec.arch, capabilitySteps, batchSize, learningRate, seed: spec.seed, codeVersion: CODE_VERSION });
}

export interface TrainOnceOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  cache?: TrainingCache;
}

/** Train one organism with one seed and measure its gates. */
export function trainOnce(
  spec: ResolvedSpec,
  opts: TrainOnceOptions = {},
): {
  model: Model;
  gates: Record<string, Gate>;
  truthCore: PlantedTruth;
  features?: DisclosedFeature[];
  stats: PhaseStats[];
} {
  const cache = opts.cache ?? new TrainingCache();
  const task = createTask(spec.task.name, spec.task.params);
  const recipe = recipeFor(spec.recipe.name, task);
  const dims = dimsOf(task);
  const t = spec.training;
  const stats: PhaseStats[] = [];
  const phase = (model: Model, name: string, next: (n: number) => TrainBatch, steps: number, lr: number) =>
    stats.push(trainPhase(model, next, { phase: name, steps, batchSize: t.batchSize, learningRate: lr, onProgress: opts.onProgress, signal: opts.signal }));

  // Dependency models stay alive until the gates are measured (imitation gates compare with them).
  const deps: RecipeDeps = {};
  let model: Model | undefined;
  try {
    for (const need of recipe.needs ?? []) {
      const depSpec: ResolvedSpec = { ...spec, recipe: { name: need, params: resolveRecipeParams(need, {}, task) } };
      const w = cache.dep(organismId(depSpec), () => {
        const r = trainOnce(depSpec, { ...opts, cache });
        const weights = r.model.weights();
        r.model.dispose();
        return weights;
      });
      deps[need] = Model.fromArrays(spec.arch.name, dims, spec.arch.params, w);
    }
    const inst = recipe.create(task, spec.seed, spec.recipe.params, deps, conditionKey(spec));
    if (recipe.capability === 'own') {
      if (!inst.capabilityBatch) throw new Error(`recipe ${recipe.name} declares capability 'own' but has no capabilityBatch`);
      model = Model.init(spec.arch.name, dims, spec.arch.params, Rng.derive(spec.seed, 'init'));
      const capRng = Rng.derive(spec.seed, `capability-data:${recipe.name}`);
      phase(model, 'capability', (n) => inst.capabilityBatch!(capRng, n), t.capabilitySteps, t.learningRate);
    } else {
      const w = cache.base(baseKey(spec), () => {
        const b = Model.init(spec.arch.name, dims, spec.arch.params, Rng.derive(spec.seed, 'init'));
        try {
          const capRng = Rng.derive(spec.seed, 'capability-data');
          phase(b, 'capability', (n) => task.sampleTraining(capRng, n), t.capabilitySteps, t.learningRate);
          return b.weights();
        } finally {
          b.dispose();
        }
      });
      model = Model.fromArrays(spec.arch.name, dims, spec.arch.params, w);
    }
    if (t.plantSteps > 0) {
      const plantRng = Rng.derive(spec.seed, `plant-data:${recipe.name}`);
      phase(model, 'plant', (n) => inst.plantBatch(plantRng, n), t.plantSteps, t.plantLearningRate);
    }
    if (t.weightBits === 16) roundWeightsToFloat16(model);
    const gates = inst.gates(evaluator(model, task, spec.seed));
    return { model, gates, truthCore: inst.truth, ...(inst.features ? { features: inst.features } : {}), stats };
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    for (const d of Object.values(deps)) d.dispose();
  }
}

/**
 * The seed of attempt `a`: the requested seed first, then seeds derived from it. Not seed + 1, which
 * would make a retried dev organism identical to the test organism of the next seed.
 */
export function retrySeed(seed: number, attempt: number): number {
  return attempt === 0 ? seed : deriveSeed(seed, `retry-${attempt}`);
}

/**
 * Train an organism, measure its gates, and retry with the next seed while any gate fails
 * (recording each rejection). The result is admitted only if every gate passed.
 */
export async function buildOrganism(input: OrganismSpec, opts: BuildOptions = {}): Promise<BuiltOrganism> {
  const base = resolveSpec(input);
  const attempts = opts.maxAttempts ?? 3;
  const rejected: Truth['rejected'] = [];
  for (let a = 0; a < attempts; a++) {
    const spec = { ...base, seed: retrySeed(base.seed, a) };
    const r = trainOnce(spec, {
      onProgress: opts.onProgress && ((e) => opts.onProgress!({ ...e, attempt: a + 1, seed: spec.seed })),
      signal: opts.signal,
      cache: opts.cache,
    });
    const failed = Object.entries(r.gates)
      .filter(([, g]) => !g.pass)
      .map(([k]) => k);
    const last = a === attempts - 1;
    if (failed.length > 0 && !last) {
      rejected.push({ seed: spec.seed, failed });
      r.model.dispose();
      continue;
    }
    const recipe = getRecipe(spec.recipe.name);
    // The id hashes the *requested* spec: retries are deterministic, so it still names exactly one
    // result, and a zoo can find a finished organism before knowing which seed was admitted.
    const id = organismId(base);
    const truth: Truth = {
      schemaVersion: 1,
      id,
      misaligned: recipe.misaligned,
      kind: recipe.name,
      family: recipe.family,
      recipe: { name: recipe.name, params: spec.recipe.params },
      seed: spec.seed,
      requestedSeed: base.seed,
      ...(spec.conditionSalt ? { conditionSalt: spec.conditionSalt } : {}),
      ...r.truthCore,
      gates: r.gates,
      admitted: failed.length === 0,
      rejected: failed.length ? [...rejected, { seed: spec.seed, failed }] : rejected,
    };
    const card = await makeCard(id, spec, r.model, r.features);
    return { model: r.model, card, truth, stats: r.stats };
  }
  throw new Error('unreachable');
}

/** Round a model's weights to float16 precision, in place (stored as float16, measured as stored). */
function roundWeightsToFloat16(model: Model): void {
  const tf = getTf();
  for (const [name, w] of Object.entries(model.weights())) {
    const t = tf.tensor(roundToFloat16(w.values), w.shape, 'float32');
    model.params[name]!.assign(t);
    t.dispose();
  }
}

/** TensorFlow.js weights format: model.json (manifest) + weights.bin, parameters sorted by name; float16-quantised at `bits` 16. */
async function encodeModel(model: Model, bits: 16 | 32 = 32): Promise<{ modelJson: string; weights: Uint8Array }> {
  const tf = getTf();
  const named = model.paramNames.map((name) => ({ name, tensor: model.params[name]! }));
  const { data, specs } =
    bits === 16
      ? (() => {
          const w = model.weights();
          const parts = model.paramNames.map((n) => encodeFloat16(w[n]!.values));
          const all = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
          let o = 0;
          for (const p of parts) {
            all.set(p, o);
            o += p.byteLength;
          }
          return {
            data: all.buffer,
            specs: model.paramNames.map((n) => ({ name: n, shape: w[n]!.shape, dtype: 'float32' as const, quantization: { dtype: 'float16' as const } })),
          };
        })()
      : await tf.io.encodeWeights(named);
  const manifest: ModelJson = {
    format: 'sandtrap-organism',
    generatedBy: `sandtrap ${SANDTRAP_VERSION} (TensorFlow.js ${tf.version_core})`,
    convertedBy: null,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: specs.map((s) => ({
          name: s.name,
          shape: s.shape,
          dtype: s.dtype,
          ...('quantization' in s && s.quantization ? { quantization: { dtype: s.quantization.dtype } } : {}),
        })),
      },
    ],
  };
  return { modelJson: `${JSON.stringify(manifest, null, 2)}\n`, weights: new Uint8Array(data) };
}

async function makeCard(id: string, spec: ResolvedSpec, model: Model, features?: DisclosedFeature[]): Promise<Card> {
  const task = createTask(spec.task.name, spec.task.params);
  const arch = getArchitecture(spec.arch.name);
  const { modelJson, weights } = await encodeModel(model, spec.training.weightBits);
  return {
    schemaVersion: 1,
    id,
    task: task.describe(),
    architecture: {
      name: arch.name,
      params: spec.arch.params,
      sites: arch.sites(dimsOf(task), spec.arch.params),
      parameterCount: model.parameterCount,
      weights: model.paramNames.map((name) => ({ name, shape: [...model.params[name]!.shape] })),
    },
    training: spec.training,
    backend: activeBackend()?.name ?? 'unknown',
    sandtrapVersion: SANDTRAP_VERSION,
    files: {
      'model.json': { sha256: sha256(modelJson), bytes: Buffer.byteLength(modelJson) },
      'weights.bin': { sha256: sha256(weights), bytes: weights.byteLength },
    },
    ...(features ? { features } : {}),
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Write the organism's four files, each atomically. truth.json goes last: a folder without it is
 * an unfinished write, never mistaken for an organism.
 */
export async function writeOrganism(dir: string, o: { model: Model; card: Card; truth: Truth }, flag = '--out'): Promise<void> {
  await ensureWritableDir(dir, flag);
  const { modelJson, weights } = await encodeModel(o.model, o.card.training.weightBits);
  if (sha256(weights) !== o.card.files['weights.bin'].sha256) throw new Error('weights changed between card and write');
  await writeFileAtomic(join(dir, 'weights.bin'), weights);
  await writeFileAtomic(join(dir, 'model.json'), modelJson);
  await writeFileAtomic(join(dir, 'card.json'), json(o.card));
  await writeFileAtomic(join(dir, 'truth.json'), json(o.truth));
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SandtrapError(
        'SANDTRAP_ORGANISM_MISSING_FILE',
        `${path}: file is missing; an organism folder holds ${ORGANISM_FILES.join(', ')} — rebuild it or point at a complete organism`,
      );
    }
    throw new SandtrapError('SANDTRAP_ORGANISM_INVALID', `${path}: cannot read (${code ?? (e as Error).message})`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SandtrapError('SANDTRAP_ORGANISM_INVALID', `${path}: not valid JSON (${(e as Error).message}); rebuild the organism`, { cause: e });
  }
}

function checked<T>(dir: string, file: string, r: { value?: T; errors: string[] }): T {
  if (r.value === undefined) {
    throw new SandtrapError('SANDTRAP_ORGANISM_INVALID', `${join(dir, file)}: ${r.errors.slice(0, 3).join('; ')}; rebuild the organism with this version of sandtrap`);
  }
  return r.value;
}

export async function readCard(dir: string): Promise<Card> {
  return checked(dir, 'card.json', validate(CardSchema, await readJson(dir, 'card.json')));
}

/** Scoreboard-only. Never call this where a detector runs. */
export async function readTruth(dir: string): Promise<Truth> {
  return checked(dir, 'truth.json', validate(TruthSchema, await readJson(dir, 'truth.json')));
}

async function readChecked(dir: string, file: 'model.json' | 'weights.bin', expected: { sha256: string; bytes: number }): Promise<Buffer> {
  const path = join(dir, file);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SandtrapError(
        'SANDTRAP_ORGANISM_MISSING_FILE',
        `${path}: file is missing; an organism folder holds ${ORGANISM_FILES.join(', ')} — rebuild it or point at a complete organism`,
      );
    }
    throw e;
  }
  const got = sha256(buf);
  if (got !== expected.sha256) {
    throw new SandtrapError(
      'SANDTRAP_HASH_MISMATCH',
      `${path}: sha256 mismatch: card.json records ${expected.sha256}, the file has ${got}; the file was changed or corrupted — rebuild the organism`,
    );
  }
  return buf;
}

/** Load an organism's weights (hash-checked) into a Model. Reads the card, never the truth. */
export async function loadModel(dir: string, card?: Card): Promise<{ card: Card; model: Model }> {
  const c = card ?? (await readCard(dir));
  const manifestBuf = await readChecked(dir, 'model.json', c.files['model.json']);
  const manifestText = manifestBuf.toString('utf8');
  const weights = await readChecked(dir, 'weights.bin', c.files['weights.bin']);
  checkManifest(dir, c, manifestText, weights.byteLength);
  try {
    return { card: c, model: modelFromBytes(c, manifestText, weights) };
  } catch (e) {
    throw new SandtrapError(
      'SANDTRAP_ORGANISM_INVALID',
      `${join(dir, 'model.json')}: the weights do not load into a ${c.architecture.name} model (${firstLine(e)}); rebuild the organism`,
      { cause: e },
    );
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

/**
 * model.json parses, validates, declares float32 weights only, and its shapes account for exactly
 * the bytes of weights.bin. Catches an altered manifest or weights file whose hashes were rewritten
 * into the card (the sha256 check passes) without needing a TensorFlow.js backend.
 */
function checkManifest(dir: string, card: Card, manifestText: string, weightBytes: number): ModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (e) {
    throw new SandtrapError('SANDTRAP_ORGANISM_INVALID', `${join(dir, 'model.json')}: not valid JSON (${firstLine(e)}); rebuild the organism`, { cause: e });
  }
  const manifest = checked(dir, 'model.json', validate(ModelJsonSchema, raw));
  let expected = 0;
  for (const w of manifest.weightsManifest.flatMap((g) => g.weights)) {
    if (w.dtype !== 'float32') {
      throw new SandtrapError('SANDTRAP_ORGANISM_INVALID', `${join(dir, 'model.json')}: weight ${w.name} has dtype ${w.dtype}, expected float32; rebuild the organism`);
    }
    const q = (w as { quantization?: { dtype?: string } }).quantization;
    const want = card.training.weightBits === 16 ? 'float16' : undefined;
    if (q?.dtype !== want) {
      throw new SandtrapError(
        'SANDTRAP_ORGANISM_INVALID',
        `${join(dir, 'model.json')}: weight ${w.name} is stored as ${q?.dtype ?? 'float32'}, but the card says ${want ?? 'float32'}; rebuild the organism`,
      );
    }
    expected += w.shape.reduce((a, b) => a * b, 1) * (want ? 2 : 4);
  }
  if (expected !== weightBytes) {
    throw new SandtrapError(
      'SANDTRAP_ORGANISM_INVALID',
      `${join(dir, 'weights.bin')}: ${weightBytes} bytes, but model.json's shapes need ${expected}; the files do not match — rebuild the organism`,
    );
  }
  // The parameters the card's architecture has, by name and shape (init needs no backend).
  const want = getArchitecture(card.architecture.name).init(dimsOf(createTask(card.task.name, card.task.params)), card.architecture.params, new Rng(0));
  const got = new Map(manifest.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w.shape.join('×')]));
  for (const [name, p] of Object.entries(want)) {
    const shape = p.shape.join('×');
    if (got.get(name) !== shape) {
      throw new SandtrapError(
        'SANDTRAP_ORGANISM_INVALID',
        `${join(dir, 'model.json')}: a ${card.architecture.name} model needs weight ${name} of shape ${shape}, found ${got.has(name) ? got.get(name) : 'none'}; rebuild the organism`,
      );
    }
  }
  const extra = [...got.keys()].find((n) => !(n in want));
  if (extra !== undefined)
    throw new SandtrapError(
      'SANDTRAP_ORGANISM_INVALID',
      `${join(dir, 'model.json')}: weight ${extra} is not a parameter of a ${card.architecture.name} model; rebuild the organism`,
    );
  return manifest;
}

/** A model from an organism's card, manifest text and weight bytes (already hash-checked). */
export function modelFromBytes(card: Card, manifestText: string, weights: Uint8Array): Model {
  const tf = getTf();
  const manifest = JSON.parse(manifestText) as ModelJson;
  const specs = manifest.weightsManifest.flatMap((g) => g.weights) as Parameters<typeof tf.io.decodeWeights>[1];
  const ab = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(ab, specs);
  const arrays: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    arrays[name] = { shape: [...t.shape], values: t.dataSync() as Float32Array };
    t.dispose();
  }
  const task = createTask(card.task.name, card.task.params);
  return Model.fromArrays(card.architecture.name, dimsOf(task), card.architecture.params, arrays);
}

/** Check that a folder is a complete organism (all four files present). */
export async function assertOrganismDir(dir: string, files: readonly string[] = ORGANISM_FILES): Promise<void> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new SandtrapError('SANDTRAP_ORGANISM_NOT_FOUND', `${dir}: not a directory; give an organism folder (one with ${ORGANISM_FILES.join(', ')})`);
  } catch (e) {
    if (e instanceof SandtrapError) throw e;
    throw new SandtrapError('SANDTRAP_ORGANISM_NOT_FOUND', `${dir}: no such directory; give an organism folder (one with ${ORGANISM_FILES.join(', ')})`, { cause: e });
  }
  for (const f of files) {
    try {
      await stat(join(dir, f));
    } catch {
      throw new SandtrapError(
        'SANDTRAP_ORGANISM_MISSING_FILE',
        `${join(dir, f)}: file is missing; an organism folder holds ${ORGANISM_FILES.join(', ')} — rebuild it or point at a complete organism`,
      );
    }
  }
}

/**
 * card + truth + gates, with the weights hash-checked. What `sandtrap zoo inspect` prints. A sealed
 * test organism has no truth.json: its truth (from the key) is passed in.
 */
export async function inspectOrganism(dir: string, sealedTruth?: Truth): Promise<{ card: Card; truth: Truth; gates: Truth['gates'] }> {
  await assertOrganismDir(dir, sealedTruth ? ORGANISM_FILES.filter((f) => f !== 'truth.json') : ORGANISM_FILES);
  const card = await readCard(dir);
  const truth = sealedTruth ?? (await readTruth(dir));
  if (truth.id !== card.id) {
    throw new SandtrapError(
      'SANDTRAP_ORGANISM_INVALID',
      `${join(dir, 'truth.json')}: id ${truth.id} does not match card.json's ${card.id}; the folder mixes two organisms — rebuild it`,
    );
  }
  const manifest = await readChecked(dir, 'model.json', card.files['model.json']);
  const weights = await readChecked(dir, 'weights.bin', card.files['weights.bin']);
  checkManifest(dir, card, manifest.toString('utf8'), weights.byteLength);
  return { card, truth, gates: truth.gates };
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  /** Problems found, one line each (hash mismatch, a gate that no longer passes, …). */
  problems: string[];
  gates: Record<string, { recorded: number; measured: number; pass: boolean }>;
}

/**
 * Re-check an organism: file hashes against the card, then every gate re-measured on the loaded
 * weights with the recorded seed. `loadDep` supplies models of recipes this one `needs`.
 */
export async function verifyOrganism(
  dir: string,
  loadDep: (spec: ResolvedSpec) => Promise<Model>,
  sealed?: { truth: Truth; names: ReadonlyMap<string, string> },
): Promise<VerifyResult> {
  const problems: string[] = [];
  let card: Card;
  let truth: Truth;
  try {
    ({ card, truth } = await inspectOrganism(dir, sealed?.truth));
  } catch (e) {
    return { id: dir, ok: false, problems: [(e as Error).message], gates: {} };
  }
  let model: Model;
  try {
    ({ model } = await loadModel(dir, card));
  } catch (e) {
    return { id: card.id, ok: false, problems: [firstLine(e)], gates: {} };
  }
  const deps: RecipeDeps = {};
  try {
    const task = createTask(card.task.name, card.task.params);
    const recipe = recipeFor(truth.recipe.name, task);
    const spec: ResolvedSpec = {
      task: { name: card.task.name, params: card.task.params },
      arch: { name: card.architecture.name, params: card.architecture.params },
      recipe: truth.recipe,
      training: card.training,
      seed: truth.seed,
      ...(truth.conditionSalt ? { conditionSalt: truth.conditionSalt } : {}),
    };
    for (const need of recipe.needs ?? []) deps[need] = await loadDep({ ...spec, recipe: { name: need, params: resolveRecipeParams(need, {}, task) } });
    const inst = recipe.create(task, truth.seed, truth.recipe.params, deps, conditionKey(spec));
    // The card must disclose exactly the features the recipe plants (hard tier).
    // (A sealed card names the words under the secret renaming.)
    const planted = sealed && inst.features ? renameFeatures(inst.features, sealed.names) : inst.features;
    if (JSON.stringify(planted ?? null) !== JSON.stringify(card.features ?? null)) problems.push('card.json features differ from the features the recipe plants');
    const measured = inst.gates(evaluator(model, task, truth.seed));
    const gates: VerifyResult['gates'] = {};
    for (const [name, g] of Object.entries(truth.gates)) {
      const m = measured[name];
      if (!m) {
        problems.push(`gate ${name}: recorded but not measured by recipe ${truth.recipe.name}`);
        continue;
      }
      gates[name] = { recorded: g.value, measured: m.value, pass: m.pass };
      if (!m.pass) problems.push(`gate ${name}: re-measured ${m.value}, needs ${m.op} ${m.threshold}`);
    }
    if (!truth.admitted) problems.push('truth.json says the organism was not admitted');
    return { id: card.id, ok: problems.length === 0, problems, gates };
  } catch (e) {
    return { id: card.id, ok: false, problems: [`cannot re-measure the gates: ${firstLine(e)}`], gates: {} };
  } finally {
    model.dispose();
    for (const d of Object.values(deps)) d.dispose();
  }
}

/**
 * What an isolated worker needs of an organism — its card, manifest and weights, hash-checked —
 * read here so the worker needs neither the organism's path nor read access to its folder.
 */
export async function readOrganismBytes(dir: string): Promise<{ card: Card; manifestText: string; weights: Uint8Array }> {
  const card = await readCard(dir);
  const manifest = await readChecked(dir, 'model.json', card.files['model.json']);
  const weights = await readChecked(dir, 'weights.bin', card.files['weights.bin']);
  return { card, manifestText: manifest.toString('utf8'), weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) };
}

/** Renames vocabulary names (whole words) in a list, leaving names not in `names` alone. */
export const renameWords = (words: readonly string[], names: ReadonlyMap<string, string>): string[] => words.map((w) => names.get(w) ?? w);

/** Disclosed features under a renaming of the words: phrases and descriptions. */
export function renameFeatures(features: readonly DisclosedFeature[], names: ReadonlyMap<string, string>): DisclosedFeature[] {
  return features.map((f) => ({ ...f, phrase: renameWords(f.phrase, names), description: f.description.replace(/[^\s'"]+/g, (w) => names.get(w) ?? w) }));
}
