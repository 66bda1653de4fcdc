import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeBaseline, makeBoard, withUnseenKind } from './fixtures.js';
import { HEATMAP_CELL_CLASS, ROC_LINE_CLASS, renderHtml } from './html.js';

/** What the page functions use of SVG elements (the package compiles without the DOM lib). */
interface Graphic {
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}

/** What the layout check reads of the DOM, for the same reason. */
interface Rect {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface Box {
  tagName: string;
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  scrollLeft: number;
  parentElement: Box | null;
  getBoundingClientRect(): Rect;
  querySelectorAll(selector: string): ArrayLike<Box>;
  scrollIntoView(options: { inline: 'nearest' | 'end'; block: 'nearest' }): void;
  contains(other: Box): boolean;
  getAttribute(name: string): string | null;
}
/** The page's window, as the layout check uses it. */
interface Win {
  innerWidth: number;
  document: { documentElement: Box; elementFromPoint(x: number, y: number): Box | null };
  getComputedStyle(e: Box): { overflowX: string; position: string };
}

/** The layout of the metrics table in the page, read in the browser: what a reader at this width can and cannot see. */
interface TableLayout {
  viewport: number;
  pageScrollWidth: number;
  wrap: { left: number; right: number; scrollWidth: number; clientWidth: number; overflowX: string; tabindex: string | null };
  tableWidth: number;
  /** Elements of the table whose box ends past the viewport and that no scroll container inside the page clips. */
  uncontained: string[];
  /** Each header cell after scrolling it into view: is it inside the scroller and the viewport, and is it the element on top at its centre? */
  headers: Array<{ text: string; reachable: boolean; within: boolean; onTop: boolean }>;
  /** Left edge of the first column, relative to the scroller's, with the table scrolled to its end. */
  stickyOffset: number;
  scrolledTo: number;
}

// Found or installed by test/global-setup.ts (CHROMIUM_PATH, the system's Chromium, Playwright's cache).
const CHROMIUM = inject('chromiumPath');

describe('scoreboard.html in headless Chromium', () => {
  const board = makeBoard();
  const kinds = ['overall', ...board.zoo.kinds];
  let browser: Browser;
  let page: Page;
  let outDir: string;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
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
    expect(asc).toEqual(
      [...numbers]
        .sort((a, b) => a - b)
        .map(String)
        .concat(before.filter((x) => x === '')),
    );
    expect(asc).not.toEqual(before);
    await header.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const desc = await read();
    expect(desc).toEqual(
      [...numbers]
        .sort((a, b) => b - a)
        .map(String)
        .concat(before.filter((x) => x === '')),
    );
    // A text column sorts by name, and the previous header lets go of its arrow.
    const det = page.locator('#metrics thead th').nth(0);
    await det.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBeNull();
    const names = await page.locator('#metrics tbody tr td:nth-child(1)').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(problems).toEqual([]);
  });

  it('fits a 1400 px window: the metrics table scrolls in its own box and no column is cut off', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    const layout = await page.locator('.table-wrap').evaluate((el): TableLayout => {
      const wrap = el as unknown as Box;
      const win = globalThis as unknown as Win;
      const doc = win.document;
      const vw = win.innerWidth;
      const scrollsX = (b: Box) => ['auto', 'scroll'].includes(win.getComputedStyle(b).overflowX);
      const table = wrap.querySelectorAll('table')[0]!;
      const inView = (r: Rect, box: Rect) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
      const uncontained: string[] = [];
      for (const e of Array.from(table.querySelectorAll('*'))) {
        if (e.getBoundingClientRect().right <= vw + 0.5) continue;
        let p = e.parentElement;
        while (p && !(scrollsX(p) && p.getBoundingClientRect().right <= vw + 0.5)) p = p.parentElement;
        if (!p) uncontained.push(`${e.tagName} ${e.textContent?.slice(0, 20) ?? ''}`);
      }
      const wr = wrap.getBoundingClientRect();
      const headers = Array.from(table.querySelectorAll('thead th')).map((th) => {
        th.scrollIntoView({ inline: 'nearest', block: 'nearest' });
        const r = th.getBoundingClientRect();
        const w = wrap.getBoundingClientRect();
        const top = doc.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
        return { text: th.textContent ?? '', reachable: inView(r, w), within: inView(r, { left: 0, right: vw, top: 0, bottom: 0 }), onTop: top !== null && th.contains(top) };
      });
      const last = table.querySelectorAll('thead th');
      last[last.length - 1]!.scrollIntoView({ inline: 'end', block: 'nearest' });
      const first = table.querySelectorAll('tbody td:first-child')[0]!.getBoundingClientRect();
      const out = {
        viewport: vw,
        pageScrollWidth: doc.documentElement.scrollWidth,
        wrap: {
          left: wr.left,
          right: wr.right,
          scrollWidth: wrap.scrollWidth,
          clientWidth: wrap.clientWidth,
          overflowX: win.getComputedStyle(wrap).overflowX,
          tabindex: wrap.getAttribute('tabindex'),
        },
        tableWidth: table.getBoundingClientRect().right - table.getBoundingClientRect().left,
        uncontained,
        headers,
        stickyOffset: first.left - wrap.getBoundingClientRect().left,
        scrolledTo: wrap.scrollLeft,
      };
      wrap.scrollLeft = 0;
      return out;
    });
    expect(layout.viewport).toBe(1400);
    // The table is wider than the page at this width, so this test exercises the scroller rather than passing vacuously.
    expect(layout.tableWidth).toBeGreaterThan(layout.wrap.clientWidth);
    expect(['auto', 'scroll']).toContain(layout.wrap.overflowX);
    expect(layout.wrap.tabindex).toBe('0');
    // The page itself never scrolls sideways, and the scroller sits inside it.
    expect(layout.pageScrollWidth).toBeLessThanOrEqual(layout.viewport);
    expect(layout.wrap.left).toBeGreaterThanOrEqual(0);
    expect(layout.wrap.right).toBeLessThanOrEqual(layout.viewport);
    expect(layout.wrap.scrollWidth).toBeGreaterThanOrEqual(Math.floor(layout.tableWidth));
    expect(layout.uncontained).toEqual([]);
    // Every column can be scrolled into view, whole, and is not hidden under the sticky detector column.
    expect(layout.headers.map((h) => h.text)).toContain('timeouts');
    expect(layout.headers.filter((h) => !(h.reachable && h.within && h.onTop))).toEqual([]);
    // Scrolled to the last column, the detector names are still at the scroller's left edge.
    expect(layout.scrolledTo).toBeGreaterThan(0);
    expect(Math.abs(layout.stickyOffset)).toBeLessThan(1);
  });

  it('saves a screenshot', async () => {
    const shot = join(outDir, 'scoreboard.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    console.log(`screenshot: ${shot}`);
  });
});

describe('scoreboard.html of a --holdout kind run in headless Chromium: the heat-map toggle', () => {
  const board = withUnseenKind(makeBoard());
  const kinds = ['overall', ...board.zoo.kinds];
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandtrap-report-unseen-'));
    const file = join(dir, 'scoreboard.html');
    await writeFile(file, await renderHtml(board));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the ordinary heat-map first; choosing "unseen kind" swaps in the unseen-kind one, and back', async () => {
    const seen = page.locator('#heatmap');
    const unseen = page.locator('#heatmap-unseen');
    expect(await seen.isVisible()).toBe(true);
    expect(await unseen.isVisible()).toBe(false);
    await page.locator('label[for="view-unseen"]').click();
    expect(await seen.isVisible()).toBe(false);
    expect(await unseen.isVisible()).toBe(true);
    const cells = page.locator(`#heatmap-unseen svg g.mark-rect.role-mark.${HEATMAP_CELL_CLASS} > path`);
    expect(await cells.count()).toBe(board.detectors.length * kinds.length);
    const boxes = await cells.evaluateAll((els) => els.map((e) => (e as unknown as Graphic).getBBox()).map((b) => b.width * b.height));
    expect(boxes.every((a) => a > 100)).toBe(true);
    // The cells carry the unseen-kind scores, not the ordinary ones.
    const d = board.detectors[0]!;
    const title = await page.locator(`#heatmap-unseen [data-cell="${d.id} × overall"] > title`).textContent();
    expect(title).toContain(`AUROC ${d.unseenKind!.auroc!.toFixed(2)}`);
    expect(d.unseenKind!.auroc!.toFixed(2)).not.toBe(d.overall.auroc!.toFixed(2));
    await page.locator('label[for="view-seen"]').click();
    expect(await seen.isVisible()).toBe(true);
    expect(await unseen.isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });
});
