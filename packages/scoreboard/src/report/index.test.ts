import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBaseline, makeBoard } from './fixtures.js';
import { REPORT_FILES, renderHtml, renderJunit, renderMarkdown, writeReports } from './index.js';

describe('writeReports', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the three report files atomically into a new folder and returns their paths', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sandtrap-reports-'));
    dirs.push(root);
    const out = join(root, 'nested', 'out');
    const board = makeBoard();
    const baseline = makeBaseline(board);
    const paths = await writeReports(board, out, baseline);
    expect(paths).toEqual(REPORT_FILES.map((f) => join(out, f)));
    // Only the reports: no temp files left behind.
    expect((await readdir(out)).sort()).toEqual([...REPORT_FILES].sort());
    expect(await readFile(paths[0]!, 'utf8')).toBe(renderMarkdown(board, baseline));
    expect(await readFile(paths[1]!, 'utf8')).toBe(renderJunit(board, baseline));
    expect(await readFile(paths[2]!, 'utf8')).toBe(await renderHtml(board, baseline));
  });

  it('fails with the folder named when it cannot write there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sandtrap-reports-'));
    dirs.push(root);
    await writeReports(makeBoard(), root);
    // A path under a file: the folder cannot be created.
    await expect(writeReports(makeBoard(), join(root, 'scoreboard.md', 'x'))).rejects.toThrow(/scoreboard\.md.*cannot write there/);
  });
});
