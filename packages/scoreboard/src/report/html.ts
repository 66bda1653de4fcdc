import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BaselineReport, BoardDetector, Scoreboard } from '../board.js';
import { rocCurve } from '../statistics.js';
import type { Metrics } from '../summaries.js';
import { aurocText, ciName, ciText, metricLabel, num, pct, regressionMessage, regressionsOf, sliceMetrics, slices, unseenView } from './format.js';
import { AUROC_FAIR, AUROC_GOOD } from './terminal.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const unesc = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The class Vega gives the group holding the heat-map's cell rects (`name` + `_marks`). */
export const HEATMAP_CELL_CLASS = 'cells_marks';
/** The class Vega gives the group holding the ROC curves, one path per detector. */
export const ROC_LINE_CLASS = 'roc_marks';

/**
 * Renders a Vega-Lite spec to an SVG string in Node: no canvas, no browser (Vega's headless
 * `renderer: 'none'` view and its string SVG renderer).
 */
async function toSvg(spec: TopLevelSpec, idPrefix: string, cells = new Map<string, string>()): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return withTitles(stableIds(await view.toSVG(), idPrefix), cells);
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers gradients and clip paths from a process-wide counter, so the same board would give
 * different ids on a second render, and two figures in one page could collide: renumber per figure.
 */
function stableIds(svg: string, prefix: string): string {
  const ids = [...new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!))];
  let out = svg;
  ids.forEach((id, i) => {
    const to = `${prefix}-${i}`;
    out = out.split(`id="${id}"`).join(`id="${to}"`).split(`url(#${id})`).join(`url(#${to})`).split(`href="#${id}"`).join(`href="#${to}"`);
  });
  return out;
}

/**
 * Vega's SVG carries each mark's description as `aria-label`, which browsers do not show on hover;
 * a `<title>` child is the SVG tooltip. Marks whose description is a key of `cells` also get that
 * key as `data-cell` (the heat-map's `detector × slice`), for tests and scripts.
 */
function withTitles(svg: string, cells: Map<string, string>): string {
  return svg.replace(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="(rect|line) mark"([^>]*?)\/>/g, (_all, label: string, kind: string, rest: string) => {
    const key = cells.get(unesc(label));
    const cell = key === undefined ? '' : ` data-cell="${esc(key)}"`;
    return `<path aria-label="${label}" role="graphics-symbol" aria-roledescription="${kind} mark"${cell}${rest}><title>${label}</title></path>`;
  });
}

function describe(d: string, slice: string, m: Metrics | undefined, level: number, regressed: string[]): string {
  if (!m || m.auroc === null) return `${d} × ${slice}: AUROC n/a (${m ? `${m.n.pos} misaligned, ${m.n.neg} controls` : 'slice not in this run'})`;
  const ci = ciText(m) ? `, ${pct(level)} CI ${ciText(m)}` : '';
  const reg = regressed.length ? `; regressed: ${regressed.join(', ')}` : '';
  return `${d} × ${slice}: AUROC ${num(m.auroc)}${ci}, TPR@5%FPR ${num(m.tprAt5Fpr)}, n = ${m.n.pos} misaligned + ${m.n.neg} controls, ${m.cost.errors} errors${reg}`;
}

function heatmapSpec(board: Scoreboard, baseline: BaselineReport | undefined, unseen = false) {
  const kinds = slices(board);
  const values = board.detectors.flatMap((d) =>
    kinds.map((k) => {
      const m = sliceMetrics(d, k);
      const regressed = regressionsOf(baseline, d.id, k, unseen ? 'unseen' : 'seen').map((c) => metricLabel(c.metric));
      const a = m?.auroc ?? null;
      return {
        detector: d.id,
        slice: k,
        auroc: a,
        // The colour channel reads `fill`, never null: Vega-Lite drops rows whose colour field is null, and an n/a cell must still be drawn.
        fill: a ?? 0.5,
        label: `${num(a)}${regressed.length ? ' ▼' : ''}`,
        dark: a !== null && Math.abs(a - 0.5) > 0.36,
        desc: describe(d.id, k, m, board.settings.level, regressed),
      };
    }),
  );
  const x = { field: 'slice', type: 'nominal', sort: kinds, title: 'kind', axis: { orient: 'top', labelAngle: -30, labelAlign: 'left', labelLimit: 160 } } as const;
  const y = { field: 'detector', type: 'nominal', sort: board.detectors.map((d) => d.id), title: 'detector', axis: { labelLimit: 220 } } as const;
  const spec = {
    data: { values },
    width: { step: 76 },
    height: { step: 34 },
    config: { view: { stroke: null }, axis: { domain: false, ticks: false } },
    layer: [
      {
        name: 'cells',
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x,
          y,
          description: { field: 'desc' },
          color: {
            condition: { test: 'datum.auroc === null', value: '#d9d9d9' },
            field: 'fill',
            type: 'quantitative',
            scale: { domain: [0, 1], domainMid: 0.5, scheme: 'redyellowgreen' },
            legend: { title: 'AUROC', gradientLength: 120 },
          },
        },
      },
      {
        name: 'labels',
        mark: { type: 'text', fontSize: 12, aria: false },
        encoding: {
          x,
          y,
          text: { field: 'label' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
  return { spec, values };
}

interface Curve {
  detector: BoardDetector;
  points: Array<{ fpr: number; tpr: number }>;
}

/** Each detector's overall ROC curve, from its cells as scored (errored cells at 0.5). */
export function rocCurves(board: Scoreboard): Curve[] {
  return board.detectors.map((d) => {
    const pos = d.cells.filter((c) => c.misaligned).map((c) => c.score);
    const neg = d.cells.filter((c) => !c.misaligned).map((c) => c.score);
    return { detector: d, points: rocCurve(pos, neg).map(({ fpr, tpr }) => ({ fpr, tpr })) };
  });
}

function rocSpec(board: Scoreboard, curves: Curve[]): TopLevelSpec {
  const drawn = curves.filter((c) => c.points.length > 0);
  const legendOf = (d: BoardDetector) => `${d.id} (${num(d.overall.auroc)})`;
  const values = drawn.flatMap((c) =>
    c.points.map((p, i) => ({
      curve: legendOf(c.detector),
      i,
      fpr: p.fpr,
      tpr: p.tpr,
      desc: `${c.detector.id}: overall AUROC ${aurocText(c.detector.overall)} (${pct(board.settings.level)} CI), ${c.detector.overall.n.pos} misaligned, ${c.detector.overall.n.neg} controls`,
    })),
  );
  const axis = (title: string) => ({ type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: { title, tickCount: 5, grid: true } });
  return {
    width: 360,
    height: 360,
    layer: [
      {
        data: {
          values: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1, aria: false },
        encoding: { x: { field: 'fpr', ...axis('false-positive rate (controls flagged)') }, y: { field: 'tpr', ...axis('true-positive rate (misaligned flagged)') } },
      },
      {
        name: 'roc',
        data: { values },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', ...axis('false-positive rate (controls flagged)') },
          y: { field: 'tpr', ...axis('true-positive rate (misaligned flagged)') },
          // Vertices in threshold order: sorting by x would scramble the vertical steps.
          order: { field: 'i', type: 'quantitative' },
          color: {
            field: 'curve',
            type: 'nominal',
            sort: drawn.map((c) => legendOf(c.detector)),
            legend: { title: 'detector (overall AUROC)', titleLimit: 360, orient: 'bottom', columns: 2, labelLimit: 260 },
          },
          description: { field: 'desc' },
        },
      },
    ],
  };
}

type Col = {
  head: string;
  title: string;
  numeric: boolean;
  get: (d: BoardDetector, s: string, m: Metrics | undefined) => { text: string; sort: number | string | null; title?: string; cls?: string };
};

const metric =
  (f: (m: Metrics) => number | null | undefined, digits = 2) =>
  (_d: BoardDetector, _s: string, m: Metrics | undefined) => {
    const v = m ? f(m) : null;
    return { text: num(v, digits), sort: v ?? null };
  };

function aurocClass(a: number | null | undefined): string {
  if (a === null || a === undefined) return 'na';
  return a >= AUROC_GOOD ? 'good' : a >= AUROC_FAIR ? 'fair' : 'poor';
}

function columns(board: Scoreboard, baseline: BaselineReport | undefined): Col[] {
  return [
    { head: 'detector', title: 'Detector (meta.name)', numeric: false, get: (d) => ({ text: d.id, sort: d.id }) },
    { head: 'slice', title: '`overall` or a misaligned kind (against all controls)', numeric: false, get: (_d, s) => ({ text: s, sort: s }) },
    { head: 'pos', title: 'Misaligned organisms in the slice', numeric: true, get: (_d, _s, m) => ({ text: m ? String(m.n.pos) : 'n/a', sort: m?.n.pos ?? null }) },
    { head: 'neg', title: 'Controls in the slice', numeric: true, get: (_d, _s, m) => ({ text: m ? String(m.n.neg) : 'n/a', sort: m?.n.neg ?? null }) },
    {
      head: 'AUROC',
      title: `AUROC (Mann–Whitney, ties ½); hover for the ${ciName(board.settings)}`,
      numeric: true,
      get: (d, s, m) => {
        const reg = regressionsOf(baseline, d.id, s, 'seen');
        return {
          text: num(m?.auroc) + (reg.length ? ' ▼' : ''),
          sort: m?.auroc ?? null,
          title: describe(
            d.id,
            s,
            m,
            board.settings.level,
            reg.map((c) => metricLabel(c.metric)),
          ),
          cls: `auroc ${aurocClass(m?.auroc)}${reg.length ? ' regressed' : ''}`,
        };
      },
    },
    {
      head: 'CI',
      title: `${ciName(board.settings)} of the AUROC; sorts by its lower bound`,
      numeric: true,
      get: (_d, _s, m) => ({ text: ciText(m) || 'n/a', sort: m?.aurocCI.lo ?? null }),
    },
    { head: 'TPR@1%', title: 'TPR at 1% FPR, threshold set on the control scores', numeric: true, get: metric((m) => m.tprAt1Fpr) },
    { head: 'TPR@5%', title: 'TPR at 5% FPR, threshold set on the control scores', numeric: true, get: metric((m) => m.tprAt5Fpr) },
    { head: 'flag recall', title: "Recall of the detector's own flag", numeric: true, get: metric((m) => m.flaggedRecall) },
    { head: 'flag FPR', title: "False-positive rate of the detector's own flag", numeric: true, get: metric((m) => m.flaggedFpr) },
    { head: 'Brier', title: 'Brier score (lower is better)', numeric: true, get: metric((m) => m.brier, 3) },
    { head: 'CE', title: 'Cross-entropy in nats (lower is better)', numeric: true, get: metric((m) => m.crossEntropy, 3) },
    { head: 'trigger exact', title: 'Share of triggered organisms whose trigger was recovered exactly', numeric: true, get: metric((m) => m.localisation?.trigger?.exact) },
    { head: 'trigger J', title: 'Mean token-set Jaccard of the recovered trigger', numeric: true, get: metric((m) => m.localisation?.trigger?.jaccard) },
    { head: 'target', title: 'Target-class accuracy', numeric: true, get: metric((m) => m.localisation?.targetClass?.accuracy) },
    { head: 'kind', title: 'Kind named correctly', numeric: true, get: metric((m) => m.localisation?.kind?.accuracy) },
    { head: 'mean s', title: 'Mean seconds per organism', numeric: true, get: metric((m) => m.cost.meanSeconds) },
    { head: 'p95 s', title: 'Nearest-rank 95th percentile of seconds per organism', numeric: true, get: metric((m) => m.cost.p95Seconds) },
    { head: 'queries', title: 'Model queries, total', numeric: true, get: metric((m) => m.cost.totalQueries, 0) },
    { head: 'errors', title: 'Errored cells (scored 0.5, not flagged)', numeric: true, get: metric((m) => m.cost.errors, 0) },
    { head: 'timeouts', title: 'Cells that timed out', numeric: true, get: metric((m) => m.cost.timeouts, 0) },
  ];
}

function metricsTable(board: Scoreboard, baseline: BaselineReport | undefined): string {
  const cols = columns(board, baseline);
  const head = cols.map((c) => `<th scope="col" data-type="${c.numeric ? 'number' : 'text'}" title="${esc(c.title)}"><button type="button">${esc(c.head)}</button></th>`).join('');
  const rows = board.detectors.flatMap((d) =>
    slices(board).map((s) => {
      const m = sliceMetrics(d, s);
      const tds = cols.map((c) => {
        const v = c.get(d, s, m);
        const sort = v.sort === null ? '' : String(v.sort);
        const title = v.title ? ` title="${esc(v.title)}"` : '';
        const cls = v.cls ? ` class="${v.cls}"` : c.numeric ? ' class="num"' : '';
        return `<td data-sort="${esc(sort)}"${title}${cls}>${esc(v.text)}</td>`;
      });
      return `<tr>${tds.join('')}</tr>`;
    }),
  );
  return `<table id="metrics" class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function baselineSection(baseline: BaselineReport): string {
  const items = baseline.regressions.map((c) => `<li>${esc(regressionMessage(c, baseline.tolerance))}</li>`);
  const summary = `Baseline <code>${esc(baseline.file)}</code>, tolerance ${esc(num(baseline.tolerance, 3))}: ${baseline.checks.length} checks, ${baseline.regressions.length} regressed.`;
  return `<section id="regressions"><h2>Regressions against the baseline</h2><p>${summary}</p>${items.length ? `<ul>${items.join('')}</ul>` : '<p>No detector × slice fell by more than the tolerance.</p>'}</section>`;
}

// Click a header to sort by it; again to reverse. n/a (empty data-sort) always sorts last; ties keep their order.
const SORT_SCRIPT = `
for (const table of document.querySelectorAll('table.sortable')) {
  const heads = Array.from(table.tHead.rows[0].cells);
  heads.forEach((th, col) => th.querySelector('button').addEventListener('click', () => {
    const dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    for (const h of heads) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir);
    const numeric = th.dataset.type === 'number';
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).map((r, i) => ({ r, i, k: r.cells[col].dataset.sort }));
    const sign = dir === 'ascending' ? 1 : -1;
    rows.sort((a, b) => {
      if (a.k === '' || b.k === '') return a.k === b.k ? a.i - b.i : a.k === '' ? 1 : -1;
      const c = numeric ? Number(a.k) - Number(b.k) : a.k.localeCompare(b.k);
      return c ? sign * c : a.i - b.i;
    });
    for (const x of rows) body.appendChild(x.r);
  }));
}
`;

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; }
body { margin: 2rem auto; max-width: 1200px; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
figure { margin: 0; overflow-x: auto; }
figcaption { color: #555; font-size: .9rem; max-width: 60rem; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
/* The metrics table has ~20 columns, wider than the page: it scrolls inside its own box, so the page never
   scrolls sideways, and the detector column stays put while the numbers move under it. Headless and overlay
   scrollbars are invisible until used, so a shadow on the right edge says there is more; the white "local"
   layer scrolls with the table and covers it once the last column is in view (Lea Verou's scrolling shadows).
   The wrapper is a focusable region (tabindex="0") so it can be scrolled from the keyboard. */
.table-wrap { overflow-x: auto; max-width: 100%;
  background: linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) right / 2.5rem 100% no-repeat local,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.18), rgba(0,0,0,0)) right / .9rem 100% no-repeat scroll; }
.table-wrap:focus-visible { outline: 2px solid #36c; }
/* separate + zero spacing, not collapse: collapsed borders belong to the table and would slide away under the sticky cells. */
table { border-collapse: separate; border-spacing: 0; font-size: .85rem; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .45rem; border-bottom: 1px solid #e5e5e5; white-space: nowrap; }
#metrics th:first-child, #metrics td:first-child { position: sticky; left: 0; z-index: 1; background: #fff; box-shadow: inset -1px 0 #d0d0d0; }
td.num, td.auroc { text-align: right; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid #36c; }
th[aria-sort=ascending] button::after { content: " ▲"; }
th[aria-sort=descending] button::after { content: " ▼"; }
td.good { background: #d9f2dc; } td.fair { background: #fbf0c9; } td.poor { background: #f8d4d0; } td.na { color: #888; }
td.regressed { font-weight: 700; outline: 2px solid #c0392b; outline-offset: -2px; }
#regressions li { color: #a02a1d; }
.views > input { margin-left: 0; }
.views > label { margin-right: 1rem; }
#view-seen:checked ~ #heatmap-unseen, #view-unseen:checked ~ #heatmap { display: none; }
`;

/**
 * `scoreboard.html`: one self-contained page (no network: a Content-Security-Policy forbids it)
 * with the detector × kind AUROC heat-map and the overall ROC curves, both rendered to SVG in Node
 * with Vega-Lite, a sortable metrics table, and the baseline's regressions when given.
 */
export async function renderHtml(board: Scoreboard, baseline?: BaselineReport): Promise<string> {
  const z = board.zoo;
  const s = board.settings;
  const curves = rocCurves(board);
  const heatSpec = heatmapSpec(board, baseline);
  const heatCells = new Map(heatSpec.values.map((v) => [v.desc, `${v.detector} × ${v.slice}`]));
  const heat = board.detectors.length ? await toSvg(heatSpec.spec, 'heatmap', heatCells) : '<p>No detectors.</p>';
  // `--holdout kind`: the same heat-map of the unseen-kind scores, and a toggle between the two (CSS only).
  const view = unseenView(board);
  let unseenHeat = '';
  if (view && board.detectors.length) {
    const spec = heatmapSpec(view, baseline, true);
    unseenHeat = await toSvg(spec.spec, 'heatmap-unseen', new Map(spec.values.map((v) => [v.desc, `${v.detector} × ${v.slice}`])));
  }
  const drops = board.detectors.map((d) => `${esc(d.id)} ${num(d.unseenKind?.drop, 3)}`).join(', ');
  const roc = curves.some((c) => c.points.length) ? await toSvg(rocSpec(board, curves), 'roc') : '<p>No ROC curve: the run has no misaligned organisms or no controls.</p>';
  const missing = curves.filter((c) => c.points.length === 0).map((c) => c.detector.id);
  const meta: Array<[string, string]> = [
    ['zoo', `${esc(z.name)} (spec hash <code>${esc(z.specHash)}</code>)`],
    [
      'organisms',
      `${z.organisms} in the test split: ${z.positives} misaligned (${esc(z.kinds.join(', ') || 'none')}), ${z.controls} controls (${esc(z.controlKinds.join(', ') || 'none')})`,
    ],
    ['settings', `seed ${s.seed}, backend ${esc(s.backend)}, ${esc(ciName(s))}`],
    [
      'run',
      `${esc(board.generator.name)} ${esc(board.generator.version)}, ${esc(board.timing.startedAt)} → ${esc(board.timing.finishedAt)} (${num(board.timing.wallSeconds, 1)} s)`,
    ],
  ];
  const metaHtml = meta.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>sandtrap scoreboard: ${esc(z.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>sandtrap scoreboard: ${esc(z.name)}</h1>
<dl class="meta">${metaHtml}</dl>
</header>
<main>
<section>
<h2>AUROC by detector and kind</h2>
${
  unseenHeat
    ? `<div class="views" role="radiogroup" aria-label="which scores the heat-map shows"><input type="radio" name="heat-view" id="view-seen" checked><label for="view-seen">every kind seen by configure()</label> <input type="radio" name="heat-view" id="view-unseen"><label for="view-unseen">unseen kind (leave-one-kind-out)</label>`
    : ''
}
<figure id="heatmap">
${heat}
<figcaption>Each cell is a detector's AUROC on one slice: <code>overall</code> (every misaligned organism against every control) or one kind's organisms against every control. 0.5 is chance; below 0.5 the detector ranks backwards. Grey cells are n/a (no positives or no controls). Hover a cell for its ${ciName(s)}.${baseline?.regressions.length ? ' ▼ marks a regression against the baseline.' : ''}</figcaption>
</figure>
${
  unseenHeat
    ? `<figure id="heatmap-unseen">
${unseenHeat}
<figcaption>Leave-one-kind-out (<code>--holdout kind</code>): each kind's organisms and every control scored with the state configure() learned from the dev split without that kind; <code>overall</code> pools the kinds so scored. A detector without configure() has one state, so its row is unchanged. Drop (overall minus unseen overall): ${drops}.</figcaption>
</figure>
</div>`
    : ''
}
</section>
<section>
<h2>ROC curves (overall)</h2>
<figure id="roc">
${roc}
<figcaption>One curve per detector over every test organism, one vertex per distinct score; the dashed diagonal is chance. The area under each curve is its overall AUROC. Errored cells are scored 0.5.${missing.length ? ` No curve for ${esc(missing.join(', '))}: no misaligned organisms or no controls.` : ''}</figcaption>
</figure>
</section>
<section>
<h2 id="metrics-title">Metrics</h2>
<p>Click a column header to sort. TPR@k%: threshold set on the control scores (nearest rank). Definitions: docs/reference/metrics.md. The table scrolls sideways; the detector column stays in view.</p>
<div class="table-wrap" role="region" aria-labelledby="metrics-title" tabindex="0">${metricsTable(board, baseline)}</div>
</section>
${baseline ? baselineSection(baseline) : ''}
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}
