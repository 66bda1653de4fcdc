import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseZooSpec, sealJobs } from '@sandtrap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const script = join(repo, 'scripts/sealed-board.sh');
const seeker = join(repo, 'fixtures/detectors/seeks-sealed.js');

// A test secret (never a real one): 64 hex digits.
const SECRET = '5eed'.repeat(16);
const OTHER = 'beef'.repeat(16);
const commitmentOf = (secret: string) => createHash('sha256').update(`sandtrap-sealed-commitment/1:${secret}`).digest('hex');
// Two small recipes on the smoke task: a control and a backdoor, one dev seed and two test seeds.
const SPEC = { name: 'sealed-e2e', tasks: ['modsum'], architectures: ['mlp'], recipes: ['clean', 'backdoor'], splits: { dev: { seeds: [1] }, test: { seeds: [2, 3] } } };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
type Json = Record<string, unknown>;

/** Runs a command; never throws on a non-zero exit. The environment has no sealed secret unless given. */
function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = repo): Promise<Result> {
  const base = { ...process.env, CI: '1' };
  delete base.SANDTRAP_SEALED_SEED;
  return new Promise((done) => {
    execFile(cmd, args, { cwd, maxBuffer: 256 * 1024 * 1024, env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [bin, ...args], env);

/** Every file under a folder: relative path → bytes. */
async function files(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(root, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name)));
  }
  return out;
}

/** A failed run's one line: exit 2, a single stderr line. */
function oneLine(r: Result, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

let dir: string;
let specFile: string;
let work: string;
let zoo: string;
let keyFile: string;
let key: { secret: string; commitment: string; organisms: Record<string, { seed: number; kind: string; misaligned: boolean }> };
let script1: Result;
/** bubblewrap works here (sandtrap doctor); CI installs it (.ci/run), so there it must. */
let bwrapOk = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-sealed-'));
  specFile = join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(SPEC));
  work = join(dir, 'work');
  zoo = join(work, 'zoo');
  keyFile = join(work, 'key.json');
  const doctor = await cli(['doctor', '--json']);
  bwrapOk = (JSON.parse(doctor.stdout) as { sandbox: { os: string | null } }).sandbox.os === 'bwrap';
  if (process.env.CI) expect(bwrapOk, 'CI installs bubblewrap (.ci/run): the OS sandbox must be active there').toBe(true);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] sealed test splits', () => {
  it('the CI script builds a sealed zoo, scores it in bubblewrap and publishes only the board', async () => {
    // The hunting detector is told where everything is: the zoo, the key, their folders, /tmp.
    const config = join(dir, 'sealed.config.json');
    await writeFile(config, JSON.stringify({ detectors: ['random', [seeker, { look: [zoo, keyFile, work, dir, '/tmp'] }]], workers: 2 }));
    script1 = await run('bash', [script], {
      SANDTRAP_SEALED_SEED: SECRET,
      SEALED_SPEC: specFile,
      SEALED_CONFIG: config,
      SEALED_WORK: work,
      SEALED_PUBLISH: join(dir, 'publish'),
      SEALED_KEEP: '1',
      SANDTRAP: `${process.execPath} ${bin}`,
    });
    key = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(key.secret).toBe(SECRET);
    expect(Object.keys(key.organisms)).toHaveLength(4);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    if (!bwrapOk) {
      // Without the OS layer a sealed run refuses to start: one line, exit 2, nothing published.
      expect(script1.code).toBe(2);
      expect(script1.stderr.trim().split('\n').at(-1)).toMatch(/bwrap|bubblewrap/);
      await expect(stat(join(dir, 'publish'))).rejects.toThrow();
      return;
    }
    expect(script1.code, script1.stderr).toBe(0);
    expect(script1.stdout).toMatch(new RegExp(`published sealed-e2e \\(sealed, commitment ${commitmentOf(SECRET)}\\)`));
    // Only the board is published.
    expect((await readdir(join(dir, 'publish'))).sort()).toEqual(['scoreboard.html', 'scoreboard.json', 'scoreboard.md']);
    const board = JSON.parse(await readFile(join(dir, 'publish', 'scoreboard.json'), 'utf8')) as {
      zoo: Json & { sealed: { commitment: string; scheme: string; spec: unknown } };
      sandbox: { os: string | null };
      detectors: Array<{ id: string; errors: number }>;
    };
    expect(board.zoo.sealed).toEqual({ scheme: 'hmac-sha256/1', commitment: commitmentOf(SECRET), spec: SPEC });
    expect(board.zoo).toMatchObject({ organisms: 4, positives: 2, controls: 2, kinds: ['backdoor'] });
    expect(board.sandbox.os).toBe('bwrap');
  });

  it('nothing in the zoo folder, the build log or a detector process holds the secret, a secret seed, an unsealed id or truth', async () => {
    expect(key, 'needs the first test').toBeDefined();
    const seeds = Object.values(key.organisms).map((t) => String(t.seed));
    // The ids the test organisms would have without the keyed hash (a spec hash: guessable from a seed).
    const sealedJobs = sealJobs(parseZooSpec(SPEC).jobs, SECRET).filter((j) => j.split === 'test');
    const unsealed = sealedJobs.map((j) => j.id);
    // The salt of the test split's condition draws.
    const salt = sealedJobs[0]!.spec.conditionSalt!;
    expect(seeds).toHaveLength(4);
    expect(unsealed).toHaveLength(4);
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    const secrets = [SECRET, salt, ...seeds, ...unsealed];

    // The zoo folder: dev organisms are public (truth.json); test organisms have no truth, and no
    // file mentions the secret, a seed or an unsealed id. zoo.json holds only the commitment.
    const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as { organisms: Array<{ id: string; split: string }>; sealed: Json };
    expect(index.sealed).toEqual({ scheme: 'hmac-sha256/1', commitment: commitmentOf(SECRET), rejected: 0 });
    const all = await files(zoo);
    for (const o of index.organisms) {
      const has = [...all.keys()]
        .filter((p) => p.startsWith(`organisms/${o.id}/`))
        .map((p) => p.split('/')[2])
        .sort();
      expect(has, o.id).toEqual(o.split === 'dev' ? ['card.json', 'model.json', 'truth.json', 'weights.bin'] : ['card.json', 'model.json', 'weights.bin']);
    }
    for (const [path, bytes] of all) for (const s of secrets) expect(bytes.includes(s), `${path} holds ${s}`).toBe(false);
    // The build log (public in CI) names no secret seed.
    for (const s of secrets) expect(script1.stdout + script1.stderr).not.toContain(s);
    expect(script1.stderr).toMatch(/test\/modsum\/mlp\/backdoor#sealed: admitted/);

    // The hunting detector: every path it was pointed at was unreadable, and what it did see (its
    // environment, argv, card) holds nothing secret. (Without bubblewrap the run refused to start.)
    if (!bwrapOk) return;
    const lines = (await readFile(join(work, 'report', 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    const hunts = lines.filter((l) => l.type === 'cell' && l.detector === 'seeks-sealed');
    expect(hunts).toHaveLength(4);
    for (const h of hunts) {
      expect(h.status).toBe('ok');
      const evidence = (h.verdict as { evidence: { seen: string; filesRead: number } }).evidence;
      const seen = JSON.parse(evidence.seen) as { env: Record<string, string>; argv: string[]; files: Record<string, string>; denied: string[] };
      expect(Object.keys(seen.files).filter((p) => p.startsWith(dir))).toEqual([]);
      expect(seen.denied.map((d) => d.split(':')[0])).toEqual(expect.arrayContaining([zoo, keyFile, work, dir]));
      expect(Object.keys(seen.env)).not.toContain('SANDTRAP_SEALED_SEED');
      for (const s of secrets) expect(evidence.seen).not.toContain(s);
      expect(evidence.seen).not.toMatch(/"misaligned"/);
    }
  });

  it('the same secret gives a bit-identical zoo and key; a killed sealed build resumes with its key to the same bytes', async () => {
    expect(key, 'needs the first test').toBeDefined();
    const again = join(dir, 'again');
    const r = await cli(['zoo', 'build', '--spec', specFile, '--out', join(again, 'zoo'), '--sealed', '--workers', '1', '--json'], { SANDTRAP_SEALED_SEED: SECRET });
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = [await files(zoo), await files(join(again, 'zoo'))];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [p, bytes] of a) expect(b.get(p)!.equals(bytes), p).toBe(true);
    // The default key path is beside the zoo, outside it.
    expect((await readFile(join(again, 'zoo.key.json'))).equals(await readFile(keyFile))).toBe(true);

    // Killed after its first organism, with the secret drawn by the build itself: the rerun reads
    // the secret from the key (no environment variable) and finishes the same zoo.
    // (The key as a build writes it before training: the secret, no truth yet.)
    const resumed = join(dir, 'resumed');
    const stub = JSON.parse(await readFile(keyFile, 'utf8')) as Json;
    await writeFile(join(dir, 'resumed.key.json'), `${JSON.stringify({ ...stub, organisms: {}, rejected: [] }, null, 2)}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
    delete env.SANDTRAP_SEALED_SEED;
    const child = spawn(process.execPath, [bin, 'zoo', 'build', '--spec', specFile, '--out', resumed, '--sealed', '--workers', '1'], {
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((done, fail) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/\[1\/6\] .*admitted/.test(stderr)) {
          process.kill(-child.pid!, 'SIGKILL');
          done();
        }
      });
      child.on('exit', () => done());
      child.on('error', fail);
    });
    expect(stderr).toMatch(/\[1\/6\] .*admitted/);
    await new Promise((d) => setTimeout(d, 500));
    const rerun = await cli(['zoo', 'build', '--spec', specFile, '--out', resumed, '--sealed', '--workers', '1', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const counts = JSON.parse(rerun.stdout) as { organisms: number; built: number; skipped: number };
    expect(counts.organisms).toBe(6);
    expect(counts.skipped).toBeGreaterThanOrEqual(1);
    expect(counts.built + counts.skipped).toBe(6);
    const c = await files(resumed);
    for (const [p, bytes] of a) expect(c.get(p)?.equals(bytes), p).toBe(true);
    expect((await readFile(join(dir, 'resumed.key.json'))).equals(await readFile(keyFile))).toBe(true);
    // No work folder is left behind.
    await expect(stat(join(dir, 'resumed.key.json.work'))).rejects.toThrow();
  });

  it('zoo list, zoo verify and zoo inspect read a sealed zoo with its key', async () => {
    const testId = Object.keys(key.organisms)[0]!;
    oneLine(await cli(['zoo', 'inspect', join(zoo, 'organisms', testId)]), /a sealed test organism: its truth is in the zoo's key/);
    const inspect = await cli(['zoo', 'inspect', join(zoo, 'organisms', testId), '--sealed-key', keyFile, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect((JSON.parse(inspect.stdout) as { truth: { kind: string; id: string } }).truth).toMatchObject({ id: testId, kind: key.organisms[testId]!.kind });
    const list = await cli(['zoo', 'list', zoo, '--sealed-key', keyFile, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const kinds = (JSON.parse(list.stdout) as { organisms: Array<{ split: string; kind: string }> }).organisms.filter((o) => o.split === 'test').map((o) => o.kind);
    expect(kinds.sort()).toEqual(['backdoor', 'backdoor', 'clean', 'clean']);
    const verify = await cli(['zoo', 'verify', zoo, '--sealed-key', keyFile, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, organisms: 6, failed: 0 });
  });

  it('a sealed zoo scored in two shards and merged gives the unsharded board', async () => {
    if (!bwrapOk) return;
    const shards = [1, 2].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const r = await cli(['scoreboard', '--zoo', zoo, '--sealed-key', keyFile, '--detectors', 'random', '--shard', `${i + 1}/2`, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
    }
    // The merge needs the key too.
    oneLine(await cli(['merge', ...shards, '--out', join(dir, 'merged-nokey')]), /is sealed: .*--sealed-key/);
    const merged = await cli(['merge', ...shards, '--out', join(dir, 'merged'), '--sealed-key', keyFile]);
    expect(merged.code, merged.stderr).toBe(0);
    const board = JSON.parse(await readFile(join(dir, 'merged', 'scoreboard.json'), 'utf8')) as {
      zoo: { sealed: { commitment: string } };
      detectors: Array<{ id: string; overall: Json }>;
    };
    const whole = JSON.parse(await readFile(join(work, 'report', 'scoreboard.json'), 'utf8')) as typeof board;
    expect(board.zoo.sealed.commitment).toBe(commitmentOf(SECRET));
    const random = (b: typeof board) => {
      const o = { ...b.detectors.find((d) => d.id === 'random')!.overall };
      delete o.cost;
      return o;
    };
    expect(random(board)).toEqual(random(whole));
  });

  it('bad input gets one line and exit 2, and writes nothing', async () => {
    const out = join(dir, 'refused');
    const score = (args: string[]) => cli(['scoreboard', '--zoo', zoo, '--detectors', 'random', '--out', out, ...args]);
    oneLine(await score([]), /zoo .* is sealed: .*pass --sealed-key FILE/);
    oneLine(await score(['--sealed-key', join(dir, 'no-such.json')]), /--sealed-key .*no-such\.json: no such file/);
    // A key whose secret was changed no longer matches its commitment.
    const altered = join(dir, 'altered.json');
    await writeFile(altered, JSON.stringify({ ...key, secret: OTHER }));
    oneLine(await score(['--sealed-key', altered]), /its secret does not match its commitment/);
    // A genuine key of another sealed zoo (another secret, so another commitment).
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...key, secret: OTHER, commitment: commitmentOf(OTHER) }));
    oneLine(await score(['--sealed-key', other]), /the key is for another zoo/);
    oneLine(await cli(['scoreboard', '--zoo', join(repo, 'fixtures/zoo-smoke'), '--detectors', 'random', '--out', out, '--sealed-key', keyFile]), /is not sealed/);
    oneLine(await score(['--sealed-key', keyFile, '--sandbox', 'node']), /a sealed zoo is scored only inside the OS sandbox/);
    await expect(stat(out)).rejects.toThrow();

    oneLine(await cli(['zoo', 'list', zoo]), /is sealed/);
    const build = (args: string[], env: Record<string, string> = {}) => cli(['zoo', 'build', '--spec', specFile, ...args], env);
    const bad = await build(['--out', join(dir, 'bad'), '--sealed'], { SANDTRAP_SEALED_SEED: 'not-a-secret' });
    oneLine(bad, /SANDTRAP_SEALED_SEED: expected a secret of at least 32 hex digits/);
    expect(bad.stderr).not.toContain('not-a-secret');
    oneLine(await build(['--out', join(dir, 'bad'), '--sealed', '--key-out', join(dir, 'bad', 'key.json')]), /lies inside the zoo/);
    oneLine(await build(['--out', join(dir, 'bad'), '--sealed', '--shard', '1/2']), /--sealed with --shard/);
    oneLine(await build(['--out', join(dir, 'bad'), '--key-out', join(dir, 'k.json')]), /--key-out: only with --sealed/);
    // Another secret against an existing key: refused, and the key and its zoo are untouched.
    const before = await readFile(keyFile);
    oneLine(await build(['--out', zoo, '--sealed', '--key-out', keyFile], { SANDTRAP_SEALED_SEED: OTHER }), /differs from the secret of the existing key/);
    expect((await readFile(keyFile)).equals(before)).toBe(true);
    await expect(stat(join(dir, 'bad'))).rejects.toThrow();
  });
});
