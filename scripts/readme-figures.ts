/**
 * Screenshots the heat-map and ROC figures of a scoreboard.html (default: sandtrap-report/, what
 * `npm start` writes) into docs/img/ for the README, in headless Chromium (found or installed as the
 * browser test does: CHROMIUM_PATH, the system's Chromium, Playwright's cache).
 *
 *   npx tsx scripts/readme-figures.ts [REPORT_DIR] [TIER]
 *
 * With TIER (e.g. `hard` for sandtrap-report/hard), the files are docs/img/scoreboard-TIER-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { acquireChromium } from '../packages/scoreboard/src/report/chromium.js';

const dir = resolve(process.argv[2] ?? 'sandtrap-report');
const out = resolve('docs/img');
const prefix = process.argv[3] ? `scoreboard-${process.argv[3]}-` : 'scoreboard-';
mkdirSync(out, { recursive: true });
const { path: executablePath } = await acquireChromium({ playwrightPath: chromium.executablePath() });
const browser = await chromium.launch({ executablePath });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(join(dir, 'scoreboard.html')).href);
  for (const id of ['heatmap', 'roc']) {
    const path = join(out, `${prefix}${id}.png`);
    await page.locator(`#${id}`).screenshot({ path });
    console.log(`wrote ${path}`);
  }
} finally {
  await browser.close();
}
