import { describe, expect, it } from 'vitest';
import { rocCurve } from '../statistics.js';
import { makeBaseline, makeBoard, PLANS } from './fixtures.js';
import { HEATMAP_CELL_CLASS, ROC_LINE_CLASS, renderHtml, rocCurves } from './html.js';

/** The outer HTML of the element with this id (the figures hold one inline SVG each). */
function section(html: string, id: string): string {
  const start = html.indexOf(`<figure id="${id}">`);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</figure>', start));
}

describe('renderHtml', async () => {
  const board = makeBoard();
  const baseline = makeBaseline(board);
  const html = await renderHtml(board, baseline);
  const kinds = ['overall', ...board.zoo.kinds];

  it('draws one heat-map rect per detector × kind, n/a cells included, each with a tooltip', () => {
    const heat = section(html, 'heatmap');
    expect(heat).toContain('<svg');
    const cells = [...heat.matchAll(/data-cell="([^"]*)"/g)].map((m) =>
      m[1]!
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    );
    expect(cells.sort()).toEqual(board.detectors.flatMap((d) => kinds.map((k) => `${d.id} × ${k}`)).sort());
    const group = heat.slice(heat.indexOf(`class="mark-rect role-mark ${HEATMAP_CELL_CLASS}"`));
    expect(group.length).toBeLessThan(heat.length);
    // Labels: every AUROC to two decimals, and n/a for the slice flaky has no cells for.
    expect(heat).toMatch(/>n\/a(?: ▼)?<\/text>/);
    const probe = board.detectors[0]!;
    expect(heat).toContain(`>${probe.overall.auroc!.toFixed(2)}</text>`);
    // The tooltip names the CI.
    expect(heat).toContain(
      `<title>probe × overall: AUROC ${probe.overall.auroc!.toFixed(2)}, 95% CI [${probe.overall.aurocCI.lo!.toFixed(2)}, ${probe.overall.aurocCI.hi!.toFixed(2)}]`,
    );
  });

  it('draws one ROC curve per detector, computed with rocCurve from the cells', () => {
    const roc = section(html, 'roc');
    const paths = roc.match(new RegExp(`class="mark-line role-mark ${ROC_LINE_CLASS}"[^>]*>(<path[^>]*>(<title>[^<]*</title></path>)?)`, 'g')) ?? [];
    expect(paths).toHaveLength(board.detectors.length);
    for (const d of board.detectors)
      expect(roc).toContain(`<title>${d.id.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}: overall AUROC`);
    for (const [i, c] of rocCurves(board).entries()) {
      const d = board.detectors[i]!;
      expect(c.points).toEqual(
        rocCurve(
          d.cells.filter((x) => x.misaligned).map((x) => x.score),
          d.cells.filter((x) => !x.misaligned).map((x) => x.score),
        ).map(({ fpr, tpr }) => ({ fpr, tpr })),
      );
      // The area under the drawn vertices is the reported AUROC (trapezoids; ties count ½).
      let area = 0;
      for (let j = 1; j < c.points.length; j++) area += ((c.points[j]!.fpr - c.points[j - 1]!.fpr) * (c.points[j]!.tpr + c.points[j - 1]!.tpr)) / 2;
      expect(area).toBeCloseTo(d.overall.auroc!, 12);
    }
  });

  it('is one self-contained file: no external URL, no external script', () => {
    const urls = (html.match(/\b(?:https?:)?\/\/[^\s"'<>)]+/g) ?? []).filter((u) => !/^http:\/\/www\.w3\.org\//.test(u));
    expect(urls).toEqual([]);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
  });

  it('has a sortable metrics table with a row per detector × kind and CI titles', () => {
    const table = html.slice(html.indexOf('<table id="metrics" class="sortable">'), html.indexOf('</table>'));
    expect(table.match(/<tr>/g)).toHaveLength(1 + board.detectors.length * kinds.length);
    expect(table.match(/<th scope="col" data-type="(number|text)"/g)?.length).toBeGreaterThan(15);
    const p = board.detectors[0]!.byKind['trojan-backdoor']!;
    expect(table).toContain(
      `<td data-sort="${p.auroc}" title="probe × trojan-backdoor: AUROC ${p.auroc!.toFixed(2)}, 95% CI [${p.aurocCI.lo!.toFixed(2)}, ${p.aurocCI.hi!.toFixed(2)}]`,
    );
    expect(table).toContain('class="auroc good regressed">');
    expect(table).toContain('<td data-sort="" title="flaky × deceptive-password: AUROC n/a (slice not in this run)" class="auroc na regressed">n/a ▼</td>');
    expect(html).toContain('<script>');
  });

  it('escapes names and lists baseline regressions', () => {
    expect(html).toContain('<td data-sort="noise &lt;&amp;&gt; &quot;odd&quot;">noise &lt;&amp;&gt; &quot;odd&quot;</td>');
    expect(html).not.toContain('noise <&>');
    expect(html).toContain('<section id="regressions">');
    expect(html).toContain(`${baseline.regressions.length} regressed.`);
    expect(html).toContain('<li>TPR@5%FPR of flaky × overall fell by 0.200 (baseline 0.450, current 0.250), more than the tolerance 0.050</li>');
  });

  it('is deterministic: the same board gives the same bytes, SVG ids included', async () => {
    const again = await renderHtml(makeBoard(), makeBaseline(makeBoard()));
    expect(again).toBe(html);
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('says so when there is nothing to draw a curve from', async () => {
    const onlyPositives = makeBoard([PLANS[0]!]);
    for (const d of onlyPositives.detectors) d.cells = d.cells.filter((c) => c.misaligned);
    const page = await renderHtml(onlyPositives);
    expect(section(page, 'roc')).toContain('No ROC curve');
    expect(section(page, 'heatmap')).toContain('data-cell="probe × overall"');
  });
});
