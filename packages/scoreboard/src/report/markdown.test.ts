import { describe, expect, it } from 'vitest';
import { makeBaseline, makeBoard, PLANS } from './fixtures.js';
import { renderMarkdown } from './markdown.js';

/** The cells of the Markdown table row that starts with `first` (pipes inside cells are escaped). */
function row(md: string, first: string, after = ''): string[] {
  const from = after ? md.indexOf(after) : 0;
  const line = md
    .slice(from)
    .split('\n')
    .find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no row ${first}`);
  return line
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((c) => c.trim());
}

describe('renderMarkdown', () => {
  const board = makeBoard();
  const md = renderMarkdown(board);

  it('starts with the run header', () => {
    expect(md.startsWith('# Scoreboard: synthetic-zoo\n')).toBe(true);
    expect(md).toContain('spec hash `feedfacecafebeef0123456789abcdef`');
    expect(md).toContain('**Organisms** 28 (test split): 18 misaligned, 10 controls');
    expect(md).toContain('**Seed** 42, **backend** wasm, **interval** 95% score CI (Newcombe)');
    expect(md).toContain('**Kinds** deceptive-password, sandbag-eval, trojan-backdoor; control kinds clean, weak');
  });

  it('names the bootstrap interval for boards computed with it, or written before settings.ci', () => {
    const board = makeBoard();
    const boot = renderMarkdown({ ...board, settings: { ...board.settings, ci: 'bootstrap' } });
    expect(boot).toContain('**interval** 95% stratified bootstrap CI (200 resamples)');
    const { ci: _omit, ...older } = board.settings;
    expect(renderMarkdown({ ...board, settings: older })).toContain('**interval** 95% stratified bootstrap CI (200 resamples)');
  });

  it('has the detector × kind AUROC table with CIs and n/a', () => {
    const head = row(md, 'detector');
    expect(head).toEqual(['detector', 'overall', 'deceptive-password', 'sandbag-eval', 'trojan-backdoor']);
    const probe = board.detectors[0]!;
    const f = (x: number | null) => x!.toFixed(2);
    expect(row(md, 'probe')).toEqual([
      'probe',
      `${f(probe.overall.auroc)} [${f(probe.overall.aurocCI.lo)}, ${f(probe.overall.aurocCI.hi)}]`,
      ...board.zoo.kinds.map((k) => {
        const m = probe.byKind[k]!;
        return `${f(m.auroc)} [${f(m.aurocCI.lo)}, ${f(m.aurocCI.hi)}]`;
      }),
    ]);
    // `flaky` has no deceptive-password cells: n/a, never 0.
    expect(row(md, 'flaky')[2]).toBe('n/a');
    expect(row(md, 'noise <&> "odd"')[0]).toBe('noise <&> "odd"');
  });

  it('has a metrics and a cost table per detector', () => {
    const flaky = board.detectors[2]!;
    const m = flaky.overall;
    const r = row(md, 'overall', '### flaky');
    expect(r).toEqual([
      'overall',
      `${m.n.pos}/${m.n.neg}`,
      `${m.auroc!.toFixed(2)} [${m.aurocCI.lo!.toFixed(2)}, ${m.aurocCI.hi!.toFixed(2)}]`,
      m.tprAt1Fpr!.toFixed(2),
      m.tprAt5Fpr!.toFixed(2),
      m.flaggedRecall!.toFixed(2),
      m.flaggedFpr!.toFixed(2),
      m.brier!.toFixed(3),
      m.crossEntropy!.toFixed(3),
    ]);
    const cost = md
      .slice(md.indexOf('### flaky'))
      .split('\n')
      .filter((l) => l.startsWith('| overall |'))[1]!;
    const t = m.localisation!.trigger!;
    expect(cost).toBe(
      `| overall | ${t.exact.toFixed(2)} / ${t.jaccard.toFixed(2)} (n=${t.n}) | ${m.localisation!.targetClass!.accuracy.toFixed(2)} (n=6) | 0.00 (n=12) | ${m.cost.meanSeconds!.toFixed(2)} s | ${m.cost.p95Seconds!.toFixed(2)} s | ${m.cost.totalQueries} | ${m.cost.meanQueries!.toFixed(1)} | 3 | 1 |`,
    );
    expect(md.match(/^### /gm)).toHaveLength(board.detectors.length);
  });

  it('escapes pipes in names so a row keeps its columns', () => {
    const b = makeBoard([{ ...PLANS[0]!, id: 'a|b' }]);
    const line = renderMarkdown(b)
      .split('\n')
      .find((l) => l.startsWith('| a'))!;
    expect(line.startsWith('| a\\|b |')).toBe(true);
    expect(line.split(/(?<!\\)\|/).length - 2).toBe(5);
  });

  it('lists baseline regressions and marks their cells', () => {
    const baseline = makeBaseline(board);
    const with_ = renderMarkdown(board, baseline);
    expect(md).not.toContain('Regressions against the baseline');
    expect(with_).toContain('## Regressions against the baseline');
    expect(with_).toContain(`Baseline baseline/scoreboard.json, tolerance 0.050: ${baseline.checks.length} checks`);
    const r = baseline.regressions.find((x) => x.detector === 'probe')!;
    expect(row(with_, 'probe', '## Regressions')).toEqual(['probe', 'trojan-backdoor', 'AUROC', r.baseline!.toFixed(3), r.current!.toFixed(3), r.drop!.toFixed(3)]);
    expect(row(with_, 'flaky', '## Regressions')).toEqual(['flaky', 'overall', 'TPR@5%FPR', '0.450', '0.250', '0.200']);
    expect(row(with_, 'probe')[4]).toMatch(/ ▼$/);
  });

  it('is deterministic, with no dates but the run timing', () => {
    expect(renderMarkdown(makeBoard())).toBe(md);
    const dates = md.match(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g) ?? [];
    expect(dates).toEqual([board.timing.startedAt, board.timing.finishedAt]);
  });
});
