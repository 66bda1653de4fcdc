import { join } from 'node:path';
import { ensureWritableDir, writeFileAtomic } from '@sandtrap/core';
import type { BaselineReport, Scoreboard } from '../board.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export { renderMarkdown } from './markdown.js';
export { renderJunit, xmlEscape } from './junit.js';
export { renderTerminal, AUROC_GOOD, AUROC_FAIR, type TerminalOptions } from './terminal.js';
export { renderHtml, rocCurves, HEATMAP_CELL_CLASS, ROC_LINE_CLASS } from './html.js';

/** The report files {@link writeReports} writes, in order. `scoreboard.json` is the runner's. */
export const REPORT_FILES = ['scoreboard.md', 'junit.xml', 'scoreboard.html'] as const;

/**
 * Writes `scoreboard.md`, `junit.xml` and `scoreboard.html` into `outDir` (created if needed),
 * each atomically (temp file + rename), and returns their paths in that order. Everything is
 * rendered before the first write, so a rendering error leaves the folder as it was.
 */
export async function writeReports(board: Scoreboard, outDir: string, baseline?: BaselineReport): Promise<string[]> {
  const contents = [renderMarkdown(board, baseline), renderJunit(board, baseline), await renderHtml(board, baseline)];
  await ensureWritableDir(outDir);
  const paths: string[] = [];
  for (const [i, name] of REPORT_FILES.entries()) {
    const path = join(outDir, name);
    await writeFileAtomic(path, contents[i]!);
    paths.push(path);
  }
  return paths;
}
