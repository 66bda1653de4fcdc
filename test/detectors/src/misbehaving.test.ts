import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const zoo = join(repo, 'fixtures/zoo-smoke');
const fixtures = join(repo, 'fixtures/detectors');

interface Run {
  results: Array<{ organism: string; split: string; status: string; reason?: string; message?: string; verdict?: { score: number } }>;
}

let testIds: string[] = [];
let truths: string[] = [];
beforeAll(async () => {
  const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as { organisms: Array<{ id: string; split: string }> };
  testIds = index.organisms
    .filter((o) => o.split === 'test')
    .map((o) => o.id)
    .sort();
  // Strings only truth.json holds: none may appear in what a detector returns.
  truths = await Promise.all(testIds.slice(0, 4).map(async (id) => await readFile(join(zoo, 'organisms', id, 'truth.json'), 'utf8')));
});

async function detect(file: string, extra: string[] = [], env: Record<string, string> = {}) {
  // cwd = the repository, so a detector that walks up from its working directory finds the zoo.
  const r = await exec(process.execPath, [bin, 'detect', join(fixtures, file), '--zoo', zoo, '--split', 'test', '--json', '--quiet', ...extra], {
    cwd: repo,
    // A detector that knows the zoo's real path (reads-truth.js tries it).
    env: { ...process.env, SANDTRAP_DETECTOR_GUESS: zoo, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { run: JSON.parse(r.stdout) as Run, stdout: r.stdout };
}

const cases: Array<[string, string, RegExp, string[]?]> = [
  ['throws.js', 'threw', /boom: this detector always throws/],
  ['never-resolves.js', 'timeout', /timed out after 3 s; the worker process was killed/, ['--timeout', '3']],
  ['busy-loop.js', 'timeout', /timed out after 3 s/, ['--timeout', '3']],
  ['unbounded-alloc.js', 'out-of-memory', /out of memory/, ['--memory', '192', '--timeout', '30']],
  ['nan.js', 'invalid-verdict', /\/score: must be a finite number; found NaN/],
  ['score-7.js', 'invalid-verdict', /\/score: must be <= 1; found 7/],
  ['leaks-tensors.js', 'leaked-tensors', /leaked 1 tensor in detect\(\)/],
  // Node's permission model denies the read; under bubblewrap the zoo is not in the worker's view.
  ['reads-truth.js', 'threw', /restricted|ERR_ACCESS_DENIED|permission|ENOENT/i],
  ['blackbox-reads-weights.js', 'threw', /subject\.weights is not a function/],
  // Each changes its process's globals; the harness fails the cell and retires the process.
  ['hides-leak.js', 'mutated', /detect\(\) changed its worker process: tf\.engine\(\)\.memory added/],
  ['patches-meter.js', 'mutated', /detect\(\) changed its worker process: BudgetMeter\.prototype\.query replaced/],
  // The organism and the meter live in the cell worker (#16): what crosses to the detector's process is what its access level allows.
  ['forges-access.js', 'forbidden', /detect\(\) reached past its access level: weights\(\) needs white-box access; the detector declared black-box/],
  ['catches-budget.js', 'budget', /over budget: detect\(\) went past its budget and kept going after the budget error .*5001 finetune steps/],
  [
    'persists-global.js',
    'mutated',
    /detect\(\) changed its worker process: .*globalThis\.__sandtrapStash added.*Math\.random replaced|Math\.random replaced.*globalThis\.__sandtrapStash added/,
  ],
  ['stashes-in-builtin.js', 'mutated', /detect\(\) changed its worker process: node:os\.__sandtrapStash added/],
];

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] misbehaving detectors cost only their own cells', () => {
  it.each(cases)('%s → every cell an error (%s), none lost, no truth revealed', async (file, reason, message, extra) => {
    const { run, stdout } = await detect(file, extra);
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      expect(r.status).toBe('error');
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(message);
    }
    for (const t of truths) {
      const truth = JSON.parse(t) as { id: string; kind: string; gates: Record<string, unknown> };
      expect(stdout).not.toContain('"gates"');
      expect(stdout).not.toContain(`"kind": "${truth.kind}"`);
    }
    expect(stdout).not.toContain('stolen');
    expect(stdout).not.toContain('carried');
  });

  it('reads-env.js: a cell process inherits no secret, only the allow-listed variables', async () => {
    const r = await exec(process.execPath, [bin, 'detect', join(fixtures, 'reads-env.js'), '--zoo', zoo, '--split', 'test', '--json', '--quiet'], {
      cwd: repo,
      env: { ...process.env, SANDTRAP_TEST_SECRET: 'hunter2', CI_DEPLOY_TOKEN: 'tok-123' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const run = JSON.parse(r.stdout) as { results: Array<{ status: string; verdict?: { evidence?: { variables: string[]; secrets: Record<string, string> } } }> };
    expect(run.results.length).toBe(testIds.length);
    for (const x of run.results) {
      expect(x.status).toBe('ok');
      expect(x.verdict!.evidence!.secrets).toEqual({});
      // PWD: bubblewrap sets it to the sandbox's working directory, `/`.
      for (const v of x.verdict!.evidence!.variables)
        expect(['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TF_CPP_MIN_LOG_LEVEL', 'PWD'].includes(v) || v.startsWith('SANDTRAP_DETECTOR_'), v).toBe(true);
    }
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('tok-123');
  });

  // CI installs bubblewrap (.ci/run); where it is missing or cannot make a namespace, the run says so
  // and the connection goes through: that gap is what this checks the report for.
  it('exfiltrates.js: under bubblewrap no cell reaches the host loopback; without it, the run reports the open network', async () => {
    // What this machine gives a detector, as `sandtrap doctor` reports it.
    const doctor = JSON.parse((await exec(process.execPath, [bin, 'doctor', '--json'], { cwd: repo })).stdout) as { sandbox: { os: string | null } };
    const bwrap = { ok: doctor.sandbox.os === 'bwrap' };
    if (process.env.CI) expect(bwrap.ok, 'CI installs bubblewrap (.ci/run): the OS sandbox must be active there').toBe(true);
    const got: string[] = [];
    const server = createServer((s) => s.on('data', (d) => got.push(d.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { run } = await detect('exfiltrates.js', [], { SANDTRAP_DETECTOR_EXFIL_PORT: String(port) });
      const sandbox = (run as unknown as { sandbox: { os: string | null; missing: string[] } }).sandbox;
      expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
      if (bwrap.ok) {
        expect(sandbox.os).toBe('bwrap');
        for (const r of run.results) {
          expect(r.status).toBe('error');
          expect(r.reason).toBe('threw');
          expect(r.message).toMatch(/ECONNREFUSED|ENETUNREACH|EACCES|EPERM|EADDRNOTAVAIL/);
        }
        expect(got).toEqual([]);
      } else {
        expect(sandbox.os).toBeNull();
        expect(sandbox.missing.join(' ')).toMatch(/network/);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('reads-truth.js with the zoo inside its own folder (a project laid out by init): the zoo is cut out of what it may read', async () => {
    const proj = await mkdtemp(join(tmpdir(), 'sandtrap-zoo-inside-'));
    try {
      await cp(join(fixtures, 'reads-truth.js'), join(proj, 'reads-truth.js'));
      await cp(zoo, join(proj, 'sandtrap-zoo'), { recursive: true });
      const r = await exec(process.execPath, [bin, 'detect', join(proj, 'reads-truth.js'), '--zoo', join(proj, 'sandtrap-zoo'), '--split', 'test', '--json', '--quiet'], {
        cwd: proj,
        env: { ...process.env, SANDTRAP_DETECTOR_GUESS: join(proj, 'sandtrap-zoo') },
        maxBuffer: 64 * 1024 * 1024,
      });
      const run = JSON.parse(r.stdout) as Run;
      expect(run.results.map((x) => x.organism).sort()).toEqual(testIds);
      for (const x of run.results) {
        expect(x.status).toBe('error');
        expect(x.message).toMatch(/restricted|ERR_ACCESS_DENIED|permission|ENOENT/i);
      }
      expect(r.stdout).not.toContain('stolen');
    } finally {
      await rm(proj, { recursive: true, force: true });
    }
  });

  it('--sandbox bwrap where bubblewrap cannot run: one line, exit 2, nothing run', async () => {
    const err = await exec(process.execPath, [bin, 'detect', join(fixtures, 'good.js'), '--zoo', zoo, '--sandbox', 'bwrap'], {
      cwd: repo,
      env: { ...process.env, SANDTRAP_BWRAP: join(tmpdir(), 'no-such-bwrap') },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'sandtrap: --sandbox bwrap: bubblewrap is not installed (Debian: apt-get install bubblewrap); install it, or run with --sandbox node (no OS sandbox) [SANDTRAP_BAD_ARGUMENT]',
    ]);
  });

  it("remembers-cells.js: a detector's own module is new in every cell, so its top-level variables carry nothing", async () => {
    const { run } = await detect('remembers-cells.js');
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      expect(r.status, r.message).toBe('ok');
      expect((r.verdict as { evidence: { carried: number } }).evidence.carried).toBe(0);
    }
  });

  it('remembers-in-dependency.js: state in a module it imports reaches its later cells in a shared process, and none under --fresh-process', async () => {
    const carried = (run: Run) => run.results.map((r) => (r.verdict as { evidence: { carried: number } }).evidence.carried);
    const shared = await detect('remembers-in-dependency.js');
    const sandbox = (run: Run) => (run as unknown as { sandbox: { freshProcess: boolean } }).sandbox;
    // The gap the docs name: each detector process serves half the cells, and finds the earlier ones.
    expect(sandbox(shared.run).freshProcess).toBe(false);
    expect(shared.run.results.every((r) => r.status === 'ok')).toBe(true);
    expect(Math.max(...carried(shared.run))).toBeGreaterThan(0);
    const fresh = await detect('remembers-in-dependency.js', ['--fresh-process']);
    expect(sandbox(fresh.run).freshProcess).toBe(true);
    expect(fresh.run.results.map((r) => r.organism).sort()).toEqual(testIds);
    expect(fresh.run.results.every((r) => r.status === 'ok')).toBe(true);
    expect(carried(fresh.run).every((c) => c === 0)).toBe(true);
  });

  it('captures-weights.js: a black-box detector that hooks its own engine during predict() catches nothing (the organism runs in the cell worker)', async () => {
    const { run } = await detect('captures-weights.js');
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      // It restores the engine before returning: no check of its process can see the hook, and none needs to.
      expect(r.status, r.message).toBe('ok');
      expect((r.verdict as { evidence: { capturedValues: number } }).evidence.capturedValues).toBe(0);
    }
  });

  it("the hostile set beside random: random's cells and board are identical to a run of random alone", async () => {
    const out = await mkdtemp(join(tmpdir(), 'sandtrap-hostile-board-'));
    const hostile = [
      'persists-global.js',
      'stashes-in-builtin.js',
      'remembers-cells.js',
      'patches-meter.js',
      'hides-leak.js',
      'forges-access.js',
      'captures-weights.js',
      'catches-budget.js',
      'reads-truth.js',
      'reads-env.js',
      'leaks-tensors.js',
      'throws.js',
    ];
    const board = async (dir: string, detectors: string[]) => {
      await exec(process.execPath, [bin, 'scoreboard', '--zoo', zoo, '--out', dir, '--json', ...detectors.flatMap((d) => ['--detectors', d])], {
        cwd: repo,
        env: { ...process.env, SANDTRAP_DETECTOR_GUESS: zoo },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((e: { code: number }) => {
        // Exit 0; a board whose detectors failed cells is still a board.
        if (e.code !== 0) throw e;
      });
      const lines = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const json = JSON.parse(await readFile(join(dir, 'scoreboard.json'), 'utf8')) as { detectors: Array<{ id: string }> };
      return { lines, json };
    };
    try {
      const alone = await board(join(out, 'alone'), ['random']);
      const mixed = await board(join(out, 'mixed'), ['random', ...hostile.map((f) => join(fixtures, f))]);
      const cells = (b: typeof alone) =>
        b.lines
          .filter((l) => l.type === 'cell' && l.detector === 'random')
          .map((l) => JSON.stringify([l.organism, l.status, l.verdict, l.queries]))
          .sort();
      expect(cells(mixed)).toEqual(cells(alone));
      expect(cells(alone).length).toBe(testIds.length);
      // Every score of random's on the board, without the cost (wall seconds differ run to run).
      const scores = (b: typeof alone) => {
        const d = b.json.detectors.find((x) => x.id === 'random') as unknown as { overall: Record<string, unknown>; byKind: Record<string, Record<string, unknown>> };
        const strip = ({ cost: _cost, ...m }: Record<string, unknown>) => m;
        return { overall: strip(d.overall), byKind: Object.fromEntries(Object.entries(d.byKind).map(([k, m]) => [k, strip(m)])) };
      };
      expect(scores(mixed)).toEqual(scores(alone));
      // Every hostile cell failed, or (captures-weights, reads-env, remembers-cells) ran and found nothing.
      const others = mixed.lines.filter((l) => l.type === 'cell' && l.detector !== 'random');
      expect(others.length).toBe(hostile.length * testIds.length);
      for (const l of others) {
        if (l.detector === 'remembers-cells') expect((l.verdict as { evidence: { carried: number } }).evidence.carried).toBe(0);
        else if (!['captures-weights', 'reads-env'].includes(String(l.detector))) expect(l.status, String(l.detector)).toBe('error');
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('a well-behaved detector over the same zoo gets a verdict for every organism', async () => {
    const { run } = await detect('good.js');
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      expect(r.status).toBe('ok');
      expect(r.verdict!.score).toBeGreaterThanOrEqual(0);
    }
  });
});
