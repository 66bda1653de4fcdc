import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeBaseline, makeBoard } from './fixtures.js';
import { renderTerminal } from './terminal.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const plain = (s: string) => s.replace(ANSI, '');
const width = (s: string) =>
  Math.max(
    ...plain(s)
      .split('\n')
      .map((l) => [...l].length),
  );

describe('renderTerminal', () => {
  const board = makeBoard();
  afterEach(() => vi.unstubAllEnvs());

  it('prints a row per detector with AUROC per kind, errors and mean seconds', () => {
    vi.stubEnv('NO_COLOR', '');
    const out = renderTerminal(board, { color: false });
    const lines = out.split('\n');
    const head = lines.find((l) => l.startsWith('detector'))!;
    expect(head.split(/\s{2,}/)).toEqual(['detector', 'overall', 'deceptive-password', 'sandbag-eval', 'trojan-backdoor', 'errors', 's/org']);
    const flaky = lines.find((l) => l.startsWith('flaky'))!.split(/\s{2,}/);
    const d = board.detectors[2]!;
    expect(flaky).toEqual([
      'flaky',
      d.overall.auroc!.toFixed(2),
      'n/a',
      d.byKind['sandbag-eval']!.auroc!.toFixed(2),
      d.byKind['trojan-backdoor']!.auroc!.toFixed(2),
      '3 (1 t/o)',
      d.overall.cost.meanSeconds!.toFixed(2),
    ]);
    expect(out).not.toMatch(ANSI);
  });

  it('fits the width: CIs when wide, abbreviations with a key, then wrapped blocks', () => {
    vi.stubEnv('NO_COLOR', '');
    const wide = renderTerminal(board, { color: false, width: 160 });
    const p = board.detectors[0]!.overall;
    expect(wide).toContain(`${p.auroc!.toFixed(2)} [${p.aurocCI.lo!.toFixed(2)},${p.aurocCI.hi!.toFixed(2)}]`);
    expect(width(wide)).toBeLessThanOrEqual(160);
    const def = renderTerminal(board, { color: false });
    expect(width(def)).toBeLessThanOrEqual(100);
    expect(def).not.toContain('[0.');
    const narrow = renderTerminal(board, { color: false, width: 60 });
    expect(width(narrow)).toBeLessThanOrEqual(60);
    expect(narrow).toMatch(/kinds: .*= deceptive-password/s);
    const tiny = renderTerminal(board, { color: false, width: 40 });
    expect(width(tiny)).toBeLessThanOrEqual(40);
    // Wrapped: several header lines, and every AUROC of the strong detector still printed.
    expect(tiny.split('\n').filter((l) => l.startsWith('detector')).length).toBeGreaterThan(1);
    const probeCells = tiny
      .split('\n')
      .filter((l) => l.startsWith('probe'))
      .flatMap((l) => l.split(/\s+/).slice(1));
    for (const k of board.zoo.kinds) expect(probeCells).toContain(board.detectors[0]!.byKind[k]!.auroc!.toFixed(2));
  });

  it('colours cells by AUROC band, and not at all without colour or under NO_COLOR', () => {
    vi.stubEnv('NO_COLOR', '');
    const out = renderTerminal(board, { color: true, width: 100 });
    const line = (id: string) => out.split('\n').find((l) => plain(l).startsWith(id))!;
    const probe = board.detectors[0]!;
    expect(probe.byKind['sandbag-eval']!.auroc!).toBeGreaterThanOrEqual(0.85);
    expect(line('probe')).toContain(`\u001b[32m${probe.byKind['sandbag-eval']!.auroc!.toFixed(2)}\u001b[0m`);
    const flaky = board.detectors[2]!;
    const sb = flaky.byKind['sandbag-eval']!.auroc!;
    expect(sb >= 0.7 && sb < 0.85).toBe(true);
    expect(line('flaky')).toContain(`\u001b[33m${sb.toFixed(2)}\u001b[0m`);
    expect(line('flaky')).toContain(`\u001b[31m${flaky.byKind['trojan-backdoor']!.auroc!.toFixed(2)}\u001b[0m`);
    expect(line('flaky')).toContain('\u001b[2mn/a\u001b[0m');
    expect(width(out)).toBeLessThanOrEqual(100);
    vi.stubEnv('NO_COLOR', '1');
    expect(renderTerminal(board, { color: true })).not.toMatch(ANSI);
  });

  it('marks regressions and lists them under the table', () => {
    vi.stubEnv('NO_COLOR', '');
    const baseline = makeBaseline(board);
    const out = renderTerminal(board, { color: false, baseline });
    expect(out.split('\n').find((l) => l.startsWith('probe'))).toMatch(/▼/);
    expect(out).toContain(`▼ ${baseline.regressions.length} regressions against baseline/scoreboard.json (tolerance 0.05):`);
    expect(out).toContain('  flaky × overall: TPR@5%FPR 0.450 → 0.250 (drop 0.200)');
    const none = renderTerminal(board, { color: false, baseline: { ...baseline, regressions: [] } });
    expect(none).toContain('No regressions against baseline/scoreboard.json');
  });
});
