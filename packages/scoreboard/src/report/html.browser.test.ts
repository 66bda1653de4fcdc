import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBaseline, makeBoard } from './fixtures.js';
import { HEATMAP_CELL_CLASS, ROC_LINE_CLASS, renderHtml } from './html.js';

/** What the page functions use of SVG elements (the package compiles without the DOM lib). */
interface Graphic {
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}

// Debian's Chromium, driven by playwright-core (which downloads no browser of its own).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('scoreboard.html in headless Chromium', () => {
  const board = makeBoard();
  const kinds = ['overall', ...board.zoo.kinds];
  let browser: Browser;
  let page: Page;
  let outDir: string;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    outDir = await mkdtemp(join(tmpdir(), 'sandtrap-report-browser-'));
    const file = join(outDir, 'scoreboard.html');
    await writeFile(file, await renderHtml(board, makeBaseline(board)));
    // --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console errors, no page errors and no request but the page itself', () => {
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(requests.filter((u) => u.startsWith('file://'))).toHaveLength(1);
  });

  it('shows one heat-map cell per detector × kind and one ROC line per detector', async () => {
    const cells = page.locator(`#heatmap svg g.mark-rect.role-mark.${HEATMAP_CELL_CLASS} > path`);
    expect(await cells.count()).toBe(board.detectors.length * kinds.length);
    const keys = await page.locator('#heatmap svg [data-cell]').evaluateAll((els) => els.map((e) => e.getAttribute('data-cell')));
    expect(new Set(keys).size).toBe(board.detectors.length * kinds.length);
    expect(keys).toContain('noise <&> "odd" × overall');
    // Drawn, not just present: each cell has an area on screen.
    const boxes = await cells.evaluateAll((els) => els.map((e) => (e as unknown as Graphic).getBBox()).map((b) => b.width * b.height));
    expect(boxes.every((a) => a > 100)).toBe(true);
    expect(await page.locator('#heatmap text', { hasText: /^n\/a/ }).count()).toBe(1);
    const lines = page.locator(`#roc svg g.mark-line.role-mark.${ROC_LINE_CLASS} > path`);
    expect(await lines.count()).toBe(board.detectors.length);
    const lengths = await lines.evaluateAll((els) => els.map((e) => (e as unknown as Graphic).getTotalLength()));
    // Every curve runs from (0,0) to (1,1): at least the 360 px diagonal... of a 360 × 360 plot, at most its two sides.
    for (const l of lengths) expect(l).toBeGreaterThanOrEqual(360 * Math.SQRT2 - 1);
    for (const l of lengths) expect(l).toBeLessThanOrEqual(720 + 1);
  });

  it('shows the CI in the cell tooltips', async () => {
    const p = board.detectors[0]!.overall;
    const title = await page.locator('#heatmap [data-cell="probe × overall"] > title').textContent();
    expect(title).toContain(`95% CI [${p.aurocCI.lo!.toFixed(2)}, ${p.aurocCI.hi!.toFixed(2)}]`);
  });

  it('sorts the metrics table when a header is clicked', async () => {
    const col = await page.locator('#metrics thead th').evaluateAll((ths) => ths.findIndex((t) => t.textContent === 'AUROC'));
    expect(col).toBeGreaterThan(1);
    const read = () => page.locator(`#metrics tbody tr td:nth-child(${col + 1})`).evaluateAll((tds) => tds.map((t) => t.getAttribute('data-sort') ?? ''));
    const before = await read();
    const numbers = before.filter((x) => x !== '').map(Number);
    const header = page.locator('#metrics thead th').nth(col);
    await header.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    const asc = await read();
    expect(asc).toEqual([...numbers].sort((a, b) => a - b).map(String).concat(before.filter((x) => x === '')));
    expect(asc).not.toEqual(before);
    await header.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const desc = await read();
    expect(desc).toEqual([...numbers].sort((a, b) => b - a).map(String).concat(before.filter((x) => x === '')));
    // A text column sorts by name, and the previous header lets go of its arrow.
    const det = page.locator('#metrics thead th').nth(0);
    await det.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBeNull();
    const names = await page.locator('#metrics tbody tr td:nth-child(1)').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(problems).toEqual([]);
  });

  it('saves a screenshot', async () => {
    const shot = join(outDir, 'scoreboard.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    console.log(`screenshot: ${shot}`);
  });
});
