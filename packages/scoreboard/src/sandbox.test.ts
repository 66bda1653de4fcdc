import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapLauncher, cutOut, readableRoots, resetBwrapProbe, resolveSandbox, within } from './sandbox.js';

let root: string;
beforeAll(async () => {
  // proj/{package.json, src/index.js, node_modules/dep/, sandtrap-zoo/smoke/organisms/a/truth.json, docs/zoo-notes.md}
  root = await realpath(await mkdtemp(join(tmpdir(), 'sandtrap-sandbox-')));
  const proj = join(root, 'proj');
  await mkdir(join(proj, 'src'), { recursive: true });
  await mkdir(join(proj, 'node_modules', 'dep'), { recursive: true });
  await mkdir(join(proj, 'sandtrap-zoo', 'smoke', 'organisms', 'a'), { recursive: true });
  await mkdir(join(proj, 'docs'), { recursive: true });
  await writeFile(join(proj, 'package.json'), '{}');
  await writeFile(join(proj, 'src', 'index.js'), 'export default {}');
  await writeFile(join(proj, 'sandtrap-zoo', 'smoke', 'organisms', 'a', 'truth.json'), '{}');
  await writeFile(join(proj, 'sandtrap-zoo', 'README.md'), 'zoos');
  await writeFile(join(proj, 'docs', 'zoo-notes.md'), 'notes');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the readable roots of a worker', () => {
  it('within: a folder and what lies under it, not a sibling that shares a prefix', () => {
    expect(within('/a/b', '/a/b')).toBe(true);
    expect(within('/a/b/c', '/a/b')).toBe(true);
    expect(within('/a/bc', '/a/b')).toBe(false);
    expect(within('/a', '/a/b')).toBe(false);
  });

  it('cutOut replaces a folder holding a hidden one by its other entries, level by level', () => {
    const proj = join(root, 'proj');
    const zoo = join(proj, 'sandtrap-zoo', 'smoke');
    expect(cutOut(proj, [zoo])).toEqual([join(proj, 'docs'), join(proj, 'node_modules'), join(proj, 'package.json'), join(proj, 'sandtrap-zoo', 'README.md'), join(proj, 'src')]);
    expect(cutOut(join(proj, 'src'), [zoo])).toEqual([join(proj, 'src')]);
  });

  it('a detector package whose folder holds the zoo (the init layout) reads its code and node_modules, never the zoo or the results folder', () => {
    const proj = join(root, 'proj');
    const zoo = join(proj, 'sandtrap-zoo', 'smoke');
    const out = join(proj, 'sandtrap-report'); // not made yet: cut out by its path
    const roots = readableRoots([proj], join(proj, 'src', 'index.js'), [zoo, out], "'.'");
    expect(roots).toContain(join(proj, 'src'));
    expect(roots).toContain(join(proj, 'node_modules'));
    expect(roots).toContain(join(proj, 'package.json'));
    for (const r of roots) {
      expect(within(zoo, r), `${r} holds the zoo`).toBe(false);
      expect(within(out, r), `${r} would hold the results`).toBe(false);
    }
  });

  it('a detector whose code lies inside the zoo is refused, naming both', () => {
    const zoo = join(root, 'proj', 'sandtrap-zoo');
    expect(() => readableRoots([zoo], join(zoo, 'README.md'), [zoo], "'x'")).toThrow(
      expect.objectContaining({
        code: 'SANDTRAP_BAD_ARGUMENT',
        message: expect.stringMatching(/^detector 'x': its code .*README\.md lies inside .*sandtrap-zoo, which a detector must not read; move the detector out of it$/),
      }),
    );
  });
});

describe('the sandbox layers', () => {
  it('from source (tests under tsx) both file layers are off, and the report says so', () => {
    const l = resolveSandbox('auto', true);
    expect(l).toMatchObject({ os: null, nodePermission: false, envAllowList: true });
    expect(l.missing.length).toBeGreaterThan(0);
  });

  it("--sandbox node: Node's permission model and the env allow-list, and the missing OS layer named", () => {
    const l = resolveSandbox('node', false);
    expect(l).toMatchObject({ request: 'node', os: null, nodePermission: true });
    expect(l.missing.join(' ')).toMatch(/network/);
  });

  it('--sandbox bwrap where bubblewrap cannot run is an error naming the fix; auto falls back and says why', () => {
    const saved = process.env.SANDTRAP_BWRAP;
    process.env.SANDTRAP_BWRAP = join(root, 'no-such-bwrap');
    resetBwrapProbe();
    try {
      expect(() => resolveSandbox('bwrap', false)).toThrow(
        /^--sandbox bwrap: bubblewrap is not installed \(Debian: apt-get install bubblewrap\); install it, or run with --sandbox node/,
      );
      const l = resolveSandbox('auto', false);
      expect(l.os).toBeNull();
      expect(l.osReason).toMatch(/not installed/);
    } finally {
      if (saved === undefined) delete process.env.SANDTRAP_BWRAP;
      else process.env.SANDTRAP_BWRAP = saved;
      resetBwrapProbe();
    }
  });

  it('the bwrap launcher: no network and its own namespaces, read-only binds of exactly the roots, then Node', () => {
    const l = bwrapLauncher(['/x/code', '/x/node_modules']);
    expect(l.args).toEqual(expect.arrayContaining(['--unshare-all', '--die-with-parent', '--tmpfs', '/tmp']));
    expect(l.args.join(' ')).toContain('--ro-bind /x/code /x/code --ro-bind /x/node_modules /x/node_modules');
    expect(l.args.at(-1)).toBe('--');
    expect(l.args).not.toContain('--share-net');
  });
});
