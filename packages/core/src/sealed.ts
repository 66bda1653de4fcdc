import { createHmac, randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { SandtrapError } from './errors.js';
import { exists, writeFileAtomic } from './fsutil.js';
import { contentHash, sha256 } from './hash.js';
import { organismId, readCard, readTruth, renameFeatures, renameWords } from './organism.js';
import { Rng } from './rng.js';
import { CardSchema, TruthSchema, validate, type Card, type Truth } from './schemas.js';
import { buildZoo, readZooIndex, type BuildZooOptions, type BuildZooResult, type ZooEvent, type ZooIndex, type ZooJob, type ZooSpec } from './zoo.js';

/**
 * Sealed test splits (#14): the test organisms of a sealed zoo are trained from seeds derived from
 * a secret, their ids are keyed hashes, their cards rename the document words, and their truth
 * lives in a key file outside the zoo. The dev split is the public one. See docs/guide/ci.md.
 */

/** The environment variable a sealed build reads its secret from (else it generates one). */
export const SEALED_SEED_ENV = 'SANDTRAP_SEALED_SEED';
/** How ids, seeds and names are derived from the secret; recorded in zoo.json and the key. */
export const SEALED_SCHEME = 'hmac-sha256/1';

/**
 * A secret given by the user: at least 32 hex digits (128 bits). The error never echoes the
 * value, only its length.
 */
export function parseSealedSecret(text: string, source: string): string {
  const t = text.trim().toLowerCase();
  if (!/^[0-9a-f]{32,}$/.test(t)) {
    const what = t.length === 0 ? 'an empty value' : /[^0-9a-f]/.test(t) ? `${t.length} characters, not all hex digits` : `only ${t.length} hex digits`;
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${source}: expected a secret of at least 32 hex digits (128 bits), found ${what}; make one with: openssl rand -hex 32`);
  }
  return t;
}

/** A fresh 256-bit secret. */
export function newSealedSecret(): string {
  return randomBytes(32).toString('hex');
}

const mac = (secret: string, label: string) => createHmac('sha256', Buffer.from(secret, 'hex')).update(label).digest();

/** The commitment a board records: sha256 of the secret (domain-separated). Revealing the secret lets anyone check it. */
export function sealedCommitment(secret: string): string {
  return sha256(`sandtrap-sealed-commitment/1:${secret}`);
}

/** The seed a sealed test organism trains with in place of the spec's seed `seed`. */
export function sealedSeed(secret: string, seed: number): number {
  return mac(secret, `seed:${seed}`).readUInt32BE(0) & 0x7fffffff;
}

/** The public id of a sealed test organism: a keyed hash of its spec id, so it cannot be recomputed from a guessed seed. */
export function sealedId(secret: string, id: string): string {
  return mac(secret, `organism:${id}`).toString('hex').slice(0, 16);
}

/**
 * The secret renaming of a task's document (filler) words: a permutation of their names, the same
 * for every sealed organism of that task. Token ids keep their meaning; only the names move, so a
 * detector that keyed anything on a name from the public zoo finds another token under it.
 */
export function sealedNames(secret: string, task: string, fillerWords: readonly string[]): Map<string, string> {
  const rng = new Rng(mac(secret, `names:${task}`).readUInt32BE(0));
  const shuffled = rng.shuffle([...fillerWords]);
  return new Map(fillerWords.map((w, i) => [w, shuffled[i]!]));
}

/** A test organism's card as the sealed zoo shows it: its sealed id and renamed words. */
export function sealCard(card: Card, id: string, names: Map<string, string>): Card {
  const task = card.task;
  return {
    ...card,
    id,
    task: {
      ...task,
      vocab: renameWords(task.vocab, names),
      body: { ...task.body, fillerWords: renameWords(task.body.fillerWords, names), ordinaryFillerWords: renameWords(task.body.ordinaryFillerWords, names) },
    },
    ...(card.features ? { features: renameFeatures(card.features, names) } : {}),
  };
}

/** A test organism's truth as the key holds it: its sealed id, in the renamed words of its card. */
export function sealTruth(truth: Truth, id: string, names: Map<string, string>): Truth {
  return {
    ...truth,
    id,
    ...(truth.trigger ? { trigger: { ...truth.trigger, tokens: renameWords(truth.trigger.tokens, names) } } : {}),
    ...(truth.conditions ? { conditions: truth.conditions.map((c) => ({ ...c, phrase: renameWords(c.phrase, names) })) } : {}),
  };
}

/**
 * The jobs of a sealed build: every test job trains with its secret seed and the split's secret
 * condition salt (its id follows); dev jobs are the public ones. Throws in the (2⁻²⁰-unlikely) case a secret seed meets another seed.
 */
export function sealJobs(jobs: readonly ZooJob[], secret: string): ZooJob[] {
  // One salt for the split's condition draws: hidden conditions then come from streams that
  // neither a card nor a guessed seed identifies.
  const conditionSalt = mac(secret, 'conditions').toString('hex');
  const out = jobs.map((j) => {
    if (j.split !== 'test') return j;
    const spec = { ...j.spec, seed: sealedSeed(secret, j.spec.seed), conditionSalt };
    return { ...j, id: organismId(spec), spec };
  });
  const seeds = new Map<number, string>();
  for (const j of out) {
    const key = `${j.split}:${j.spec.seed}`;
    const other = seeds.get(j.spec.seed);
    if (other && other !== key)
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `sealed build: a secret seed equals another seed of the zoo; use another secret (unset ${SEALED_SEED_ENV} to draw one)`);
    seeds.set(j.spec.seed, key);
  }
  return out;
}

// ── the key file ────────────────────────────────────────────────────────────────────────────

export const SealedKeySchema = Type.Object(
  {
    schemaVersion: Type.Literal(1, { description: 'key format version' }),
    format: Type.Literal('sandtrap-sealed-key', { description: 'what this file is' }),
    scheme: Type.Literal(SEALED_SCHEME, { description: 'how ids, seeds and names derive from the secret' }),
    zoo: Type.String({ description: 'name of the zoo it seals' }),
    specHash: Type.String({ description: 'content hash of the zoo spec' }),
    commitment: Type.String({ description: 'sha256 commitment to the secret, as zoo.json and the board record it' }),
    secret: Type.String({ description: 'the secret (hex): keep it out of every place a detector runs' }),
    organisms: Type.Record(Type.String(), TruthSchema, { description: 'truth of each sealed test organism, by its sealed id; empty until the build finishes' }),
    rejected: Type.Array(Type.Unknown(), { description: 'sealed test organisms whose gates failed on every seed tried' }),
  },
  { additionalProperties: false, description: 'a sealed zoo key: the secret and the test split truth' },
);
export type SealedKey = Static<typeof SealedKeySchema>;

/** Reads and checks a key file: format, and that its secret matches its commitment. One line per problem, naming `flag`. */
export async function readSealedKey(path: string, flag = '--sealed-key'): Promise<SealedKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SandtrapError(
      'SANDTRAP_BAD_ARGUMENT',
      `${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`}; give the key file \`sandtrap zoo build --sealed\` wrote`,
      { cause: e },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${path}: not valid JSON, so not a sealed key; give the key file \`sandtrap zoo build --sealed\` wrote`);
  }
  const r = validate(SealedKeySchema, data);
  if (!r.value)
    throw new SandtrapError(
      'SANDTRAP_BAD_ARGUMENT',
      `${flag} ${path}: not a sealed key (${r.errors.slice(0, 2).join('; ')}); give the key file \`sandtrap zoo build --sealed\` wrote`,
    );
  if (!/^[0-9a-f]{32,}$/.test(r.value.secret) || sealedCommitment(r.value.secret) !== r.value.commitment)
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${path}: its secret does not match its commitment; the key was altered — use the key the build wrote`);
  return r.value;
}

/** Checks that `key` seals the zoo whose index is `index` (read from `zoo`), with one line otherwise. */
export function assertKeyFits(key: SealedKey, index: ZooIndex, zoo: string, keyPath: string, flag = '--sealed-key'): void {
  if (!index.sealed) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${keyPath}: zoo ${zoo} is not sealed; drop ${flag}, or give a zoo built with --sealed`);
  if (key.commitment !== index.sealed.commitment || key.specHash !== index.specHash)
    throw new SandtrapError(
      'SANDTRAP_BAD_ARGUMENT',
      `${flag} ${keyPath}: the key is for another zoo (commitment ${key.commitment.slice(0, 12)}…, zoo '${key.zoo}') but ${zoo} was sealed with ${index.sealed.commitment.slice(0, 12)}…; give this zoo's key`,
    );
  if (Object.keys(key.organisms).length === 0)
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${keyPath}: the key holds no truth: its build did not finish; rerun \`sandtrap zoo build --sealed\` with this key`);
  const missing = index.organisms.filter((o) => o.split === 'test' && !key.organisms[o.id]);
  if (missing.length)
    throw new SandtrapError(
      'SANDTRAP_BAD_ARGUMENT',
      `${flag} ${keyPath}: no truth for test organism ${missing[0]!.id}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; give this zoo's key`,
    );
}

/** The zoo's sealed record, or a one-line error when the zoo is sealed and no key was given (or a key was given for an open zoo). */
export async function zooKey(zoo: string, index: ZooIndex, keyPath: string | undefined, flag = '--sealed-key'): Promise<SealedKey | undefined> {
  if (!keyPath) {
    if (index.sealed)
      throw new SandtrapError(
        'SANDTRAP_BAD_ARGUMENT',
        `zoo ${zoo} is sealed: its test split's truth is in a key file outside it; pass ${flag} FILE (the key \`zoo build --sealed\` wrote)`,
      );
    return undefined;
  }
  const key = await readSealedKey(keyPath, flag);
  assertKeyFits(key, index, zoo, keyPath, flag);
  return key;
}

/** The truth of an organism of a zoo: the key's for a sealed test organism, truth.json otherwise. */
export async function organismTruth(zoo: string, o: { id: string; split: 'dev' | 'test' }, key?: SealedKey): Promise<Truth> {
  if (key && o.split === 'test') return key.organisms[o.id]!;
  return readTruth(join(zoo, 'organisms', o.id));
}

// ── the build ───────────────────────────────────────────────────────────────────────────────

export interface SealedBuildOptions extends Omit<BuildZooOptions, 'shard'> {
  /** Where the key is written (and read from when resuming): must lie outside `out`. */
  keyPath: string;
  /** The secret (from SANDTRAP_SEALED_SEED); drawn fresh when absent and the key does not exist yet. */
  secret?: string;
}

export interface SealedBuildResult extends BuildZooResult {
  keyPath: string;
  commitment: string;
  /** Where the secret came from: the environment, the existing key (a resumed build), or drawn by this build. */
  source: 'env' | 'key' | 'drawn';
}

const within = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * What a sealed build will do, checked before anything is written: refuses a key inside the zoo,
 * a key of another spec, a secret that differs from the existing key's, and an `out` holding
 * another zoo. `secret` is the one to use (absent: draw one); `finished` is set when `out` already
 * holds this sealed zoo.
 */
export async function planSealedBuild(o: { out: string; keyPath: string; spec: ZooSpec; secret?: string }): Promise<{
  secret?: string;
  source: 'env' | 'key' | 'drawn';
  finished?: ZooIndex;
}> {
  const out = resolve(o.out);
  const keyPath = resolve(o.keyPath);
  if (within(keyPath, out))
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--key-out ${keyPath} lies inside the zoo ${out}; the key must live outside the zoo (e.g. ${out}.key.json)`);
  if (within(out, `${keyPath}.work`)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--out ${out} lies inside the build's private folder ${keyPath}.work; choose another --out`);
  const specHash = contentHash(o.spec);
  let secret = o.secret;
  let source: 'env' | 'key' | 'drawn' = secret ? 'env' : 'drawn';
  if (await exists(keyPath)) {
    const key = await readSealedKey(keyPath, '--key-out');
    if (key.specHash !== specHash)
      throw new SandtrapError(
        'SANDTRAP_BAD_ARGUMENT',
        `--key-out ${keyPath}: holds the key of another zoo ('${key.zoo}', spec ${key.specHash}); give a new key path, or remove that key if its zoo is gone`,
      );
    if (secret && sealedCommitment(secret) !== key.commitment)
      throw new SandtrapError(
        'SANDTRAP_BAD_ARGUMENT',
        `${SEALED_SEED_ENV}: differs from the secret of the existing key ${keyPath}; unset it to resume that build, or give a new --key-out`,
      );
    secret = key.secret;
    source = 'key';
  }
  if (await exists(join(out, 'zoo.json'))) {
    const index = await readZooIndex(out);
    if (!secret || index.sealed?.commitment !== sealedCommitment(secret) || index.specHash !== specHash)
      throw new SandtrapError('SANDTRAP_OUT_NOT_WRITABLE', `--out ${out} already holds another zoo (zoo.json); give an empty or new folder`);
    // The finished zoo's truth lives only in its key: without the key it cannot be scored, nor rebuilt here.
    if (source !== 'key')
      throw new SandtrapError(
        'SANDTRAP_BAD_ARGUMENT',
        `--key-out ${keyPath}: no such file, but ${out} is a finished sealed zoo whose test truth was in its key; give that key's path, or build into a new folder`,
      );
    return { secret, source, finished: index };
  }
  return { ...(secret ? { secret } : {}), source };
}

/**
 * Build a sealed zoo. The organisms are trained by {@link buildZoo} into a private work folder
 * beside the key (`KEY.work`, resumable like any build), then published into `out`: dev organisms
 * as they are, test organisms under their sealed ids with renamed cards and no truth.json. The key
 * (secret + test truth) is written first with no truth, so an interrupted build resumes with the
 * same secret, and completed last; zoo.json goes last of all. The work folder is removed at the end.
 */
export async function buildSealedZoo(o: SealedBuildOptions): Promise<SealedBuildResult> {
  const t0 = performance.now();
  const out = resolve(o.out);
  const keyPath = resolve(o.keyPath);
  const specHash = contentHash(o.spec);
  const plan = await planSealedBuild({ out, keyPath, spec: o.spec, ...(o.secret ? { secret: o.secret } : {}) });
  const { source } = plan;
  const secret = plan.secret ?? newSealedSecret();
  const commitment = sealedCommitment(secret);
  const keyOf = (organisms: SealedKey['organisms'], rejected: SealedKey['rejected']): SealedKey => ({
    schemaVersion: 1,
    format: 'sandtrap-sealed-key',
    scheme: SEALED_SCHEME,
    zoo: o.spec.name,
    specHash,
    commitment,
    secret,
    organisms,
    rejected,
  });
  // A new key is written before any training, without truth: a killed build resumes with its secret.
  if (source !== 'key') {
    await mkdir(dirname(keyPath), { recursive: true });
    await writeFileAtomic(keyPath, json(keyOf({}, [])), 0o600);
  }
  if (plan.finished) {
    const index = plan.finished;
    return {
      dir: out,
      built: 0,
      skipped: index.organisms.length + index.rejected.length + (index.sealed?.rejected ?? 0),
      rejected: index.rejected.length,
      seconds: (performance.now() - t0) / 1000,
      index,
      keyPath,
      commitment,
      source,
    };
  }

  const work = `${keyPath}.work`;
  const jobs = sealJobs(o.jobs, secret);
  // Progress must not print a secret seed (build logs are often public): a sealed job is named by its recipe and "#sealed".
  const secretJobs = new Set(jobs.filter((j) => j.split === 'test').map((j) => j.id));
  const onEvent =
    o.onEvent &&
    ((e: ZooEvent) => {
      if (e.type === 'plan' || !secretJobs.has(e.job)) return o.onEvent!(e);
      const label = e.label.replace(/#\d+/, '#sealed');
      if (e.type === 'organism') {
        const { seed: _seed, ...rest } = e;
        return o.onEvent!({ ...rest, label });
      }
      return o.onEvent!({ ...e, label });
    });
  const built = await buildZoo({ ...o, out: work, jobs, ...(onEvent ? { onEvent } : {}) });
  await mkdir(join(out, 'organisms'), { recursive: true });

  const organisms: ZooIndex['organisms'] = [];
  const truths: Record<string, Truth> = {};
  const names = new Map<string, Map<string, string>>();
  for (const x of built.index.organisms) {
    const from = join(work, 'organisms', x.id);
    const id = x.split === 'test' ? sealedId(secret, x.id) : x.id;
    const tmp = join(out, 'organisms', `.tmp-${id}`);
    await rm(tmp, { recursive: true, force: true });
    if (x.split === 'dev') {
      await cp(from, tmp, { recursive: true });
    } else {
      const card = await readCard(from);
      if (!names.has(card.task.name)) names.set(card.task.name, sealedNames(secret, card.task.name, card.task.body.fillerWords));
      const map = names.get(card.task.name)!;
      await mkdir(tmp);
      const sealed = sealCard(card, id, map);
      if (!validate(CardSchema, sealed).value) throw new Error(`sealed card of ${x.id} does not validate`);
      await writeFileAtomic(join(tmp, 'card.json'), json(sealed));
      for (const f of ['model.json', 'weights.bin']) await cp(join(from, f), join(tmp, f));
      truths[id] = sealTruth(await readTruth(from), id, map);
    }
    await rm(join(out, 'organisms', id), { recursive: true, force: true });
    await rename(tmp, join(out, 'organisms', id));
    organisms.push({ id, split: x.split });
  }
  organisms.sort((a, b) => (a.id < b.id ? -1 : 1));
  const testRejected = built.index.rejected.filter((r) => r.split === 'test').map((r) => ({ ...r, id: sealedId(secret, r.id) }));
  await writeFileAtomic(keyPath, json(keyOf(truths, testRejected)), 0o600);
  const devIds = new Set(organisms.filter((x) => x.split === 'dev').map((x) => x.id));
  const index: ZooIndex = {
    ...built.index,
    organisms,
    rejected: built.index.rejected.filter((r) => r.split === 'dev'),
    // Retries of test organisms would say how many secret seeds failed: only dev's are counted.
    retried: (await Promise.all([...devIds].map(async (id) => (await readTruth(join(out, 'organisms', id))).rejected.length > 0))).filter(Boolean).length,
    sealed: { scheme: SEALED_SCHEME, commitment, rejected: testRejected.length },
  };
  await writeFileAtomic(join(out, 'zoo.json'), json(index));
  await rm(work, { recursive: true, force: true });
  return { ...built, dir: out, index, seconds: (performance.now() - t0) / 1000, keyPath, commitment, source };
}
