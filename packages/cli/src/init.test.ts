import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { checkDetectorShape, renderSchemaFile, validateOptions } from '@sandtrap/detector-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.js';

const exec = promisify(execFile);

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sandtrap-init-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sandtrap init detector', () => {
  it('scaffolds sandtrap-detector-NAME in ./sandtrap-detector-NAME and prints next steps', async () => {
    const r = await cli(['init', 'detector', 'header-probe'], tmp);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const dir = join(tmp, 'sandtrap-detector-header-probe');
    expect(r.out).toMatch(/^Created sandtrap-detector-header-probe in sandtrap-detector-header-probe:/);
    expect(r.out).toMatch(/Next steps:\n {2}cd sandtrap-detector-header-probe\n {2}npm install\n/);
    expect(r.out).toContain('npx sandtrap detect ./src/index.js --zoo sandtrap-zoo/smoke --json');
    const files = (await readdir(dir, { recursive: true })).filter((f) => !['src', 'test', '.changeset'].includes(f)).sort();
    expect(files).toEqual(
      ['.changeset/README.md', '.changeset/config.json', '.gitignore', 'README.md', 'jsconfig.json', 'package.json', 'schema.json', 'src/index.js', 'test/detector.test.js'].map(
        (f) => f.replace(/\//g, '/'),
      ),
    );

    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'sandtrap-detector-header-probe',
      version: '0.1.0',
      type: 'module',
      main: './src/index.js',
      exports: { '.': './src/index.js', './schema.json': './schema.json' },
      scripts: { 'generate:schema': 'sandtrap-schema write' },
      peerDependencies: { '@sandtrap/detector-api': '^0.1.0' },
    });
    expect(pkg.keywords).toContain('sandtrap-detector');
    expect(pkg.devDependencies).toHaveProperty('@sandtrap/detector-tester');
    // The options are TypeBox: its one run-time dependency.
    expect(pkg.dependencies).toEqual({ '@sinclair/typebox': expect.any(String) });

    const test = await readFile(join(dir, 'test/detector.test.js'), 'utf8');
    expect(test).toContain("import { testDetector, testPluginPackage } from '@sandtrap/detector-tester';");
    expect(test).toContain("import detector from '../src/index.js';");
    expect(test).toContain('testPluginPackage(detector, {');
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toContain('node_modules/');
  });

  it('the default export loads in plain Node (no build; only @sinclair/typebox installed) and is a valid detector whose schema.json matches its options', async () => {
    const dir = join(tmp, 'sandtrap-detector-header-probe');
    // Install the one run-time dependency the way npm would, from this repository's copy.
    // (typebox's exports hide its package.json: walk up from its entry to its folder.)
    let typebox = createRequire(import.meta.url).resolve('@sinclair/typebox');
    while (!typebox.endsWith(join('@sinclair', 'typebox'))) typebox = dirname(typebox);
    await mkdir(join(dir, 'node_modules/@sinclair'), { recursive: true });
    await symlink(typebox, join(dir, 'node_modules/@sinclair/typebox'), 'dir');
    const url = pathToFileURL(join(dir, 'src/index.js')).href;
    const { stdout } = await exec(
      process.execPath,
      ['-e', `import(${JSON.stringify(url)}).then((m) => console.log(JSON.stringify({ meta: m.default.meta, detect: typeof m.default.detect })))`],
      { cwd: tmp },
    );
    expect(JSON.parse(stdout)).toEqual({ meta: expect.objectContaining({ name: 'header-probe', apiVersion: 1, access: 'black-box' }), detect: 'function' });

    const mod = (await import(url)) as { default: unknown };
    expect(checkDetectorShape(mod.default, 'sandtrap-detector-header-probe').errors).toEqual([]);
    expect(validateOptions(mod.default as never, {}).value).toEqual({ n: 128, threshold: 0.15, maxValuesPerSlot: 12 });
    // The template writes schema.json from a literal; it must be what sandtrap-schema renders from the module.
    expect(await readFile(join(dir, 'schema.json'), 'utf8')).toBe(renderSchemaFile((mod.default as { options: object }).options));
    await rm(join(dir, 'node_modules'), { recursive: true });
  });

  it('npm pack of the fresh scaffold holds the detector and not the tests', async () => {
    const dir = join(tmp, 'sandtrap-detector-header-probe');
    const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir });
    const [info] = JSON.parse(stdout) as [{ name: string; files: { path: string }[] }];
    expect(info.name).toBe('sandtrap-detector-header-probe');
    expect(info.files.map((f) => f.path).sort()).toEqual(['README.md', 'package.json', 'schema.json', 'src/index.js']);
  }, 60_000);

  it('--dir puts it elsewhere, creating the folder', async () => {
    const r = await cli(['init', 'detector', 'x2', '--dir', 'nested/here'], tmp);
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(join(tmp, 'nested/here/package.json'), 'utf8')).name).toBe('sandtrap-detector-x2');
    expect(r.out).toMatch(/cd nested\/here/);
  });

  it('an existing empty folder is fine', async () => {
    await mkdir(join(tmp, 'empty'));
    const r = await cli(['init', 'detector', 'ok', '--dir', 'empty'], tmp);
    expect(r.code).toBe(0);
  });

  it.each([
    ['Foo', /^sandtrap: init detector Foo: the name must match \^\[a-z0-9\]\[a-z0-9-\]\*\$/],
    ['-x', /^sandtrap: init detector -x: the name must match/],
    ['a_b', /^sandtrap: init detector a_b: the name must match/],
    ['sandtrap-detector-foo', /^sandtrap: init detector sandtrap-detector-foo: give the short name \(foo\)/],
  ])('a bad name %j: exit 2, one line', async (name, message) => {
    const r = await cli(['init', 'detector', '--', name], tmp);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('refuses a non-empty target folder: exit 2, one line, nothing written', async () => {
    await mkdir(join(tmp, 'busy'));
    await writeFile(join(tmp, 'busy', 'keep.txt'), 'mine');
    const r = await cli(['init', 'detector', 'foo', '--dir', 'busy'], tmp);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^sandtrap: init detector foo: busy is not empty \(1 entry\); refusing to overwrite/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(await readdir(join(tmp, 'busy'))).toEqual(['keep.txt']);
  });

  it('a missing name is a usage error', async () => {
    const r = await cli(['init', 'detector'], tmp);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing required argument 'name'/);
  });
});
