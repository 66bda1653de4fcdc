import type { BaselineReport, Scoreboard } from '../board.js';
import type { Metrics } from '../summaries.js';
import { ciName, metricLabel, num, pct, regressionsOf, sliceMetrics, slices, unseenView } from './format.js';

export interface TerminalOptions {
  /** ANSI colours. `NO_COLOR` (https://no-color.org) in the environment turns them off regardless. */
  color: boolean;
  /** Columns available. Default 100. */
  width?: number;
  /** Marks regressed cells (▼) and lists the regressions under the table. */
  baseline?: BaselineReport;
}

/** AUROC bands of the terminal table and the HTML heat-map legend. */
export const AUROC_GOOD = 0.85;
export const AUROC_FAIR = 0.7;

const SGR = { green: '32', yellow: '33', red: '31', dim: '2', bold: '1' } as const;
type Style = keyof typeof SGR | undefined;

function aurocStyle(a: number | null | undefined): Style {
  if (a === null || a === undefined || !Number.isFinite(a)) return 'dim';
  return a >= AUROC_GOOD ? 'green' : a >= AUROC_FAIR ? 'yellow' : 'red';
}

/** Display width, counting each code point as one column (what the table prints is ASCII plus ▼ and …). */
const len = (s: string) => [...s].length;

interface Cell {
  text: string;
  style?: Style;
  align: 'l' | 'r';
}

function fit(s: string, w: number): string {
  return len(s) <= w ? s : `${[...s].slice(0, Math.max(1, w - 1)).join('')}…`;
}

/** `deceptive-password` → `dec-pas` at 7: a prefix of each hyphenated part, so both parts stay recognisable. */
function short(name: string, n: number): string {
  if (len(name) <= n) return name;
  const parts = name.split(/[-_ ]+/).filter(Boolean);
  if (parts.length < 2) return fit(name, n);
  const each = Math.floor((n - (parts.length - 1)) / parts.length);
  if (each < 2) return fit(name, n);
  return parts.map((p) => [...p].slice(0, each).join('')).join('-');
}

/**
 * Abbreviations for kind names that are all distinct: each name cut to `n` code points with a
 * trailing …, lengthened where two would collide.
 */
function abbreviate(names: string[], n: number): string[] {
  const out = names.map((k) => short(k, n));
  for (let extra = 1; new Set(out).size < out.length && extra < 64; extra++) {
    const seen = new Map<string, number[]>();
    out.forEach((a, i) => seen.set(a, [...(seen.get(a) ?? []), i]));
    for (const idx of seen.values()) if (idx.length > 1) for (const i of idx) out[i] = short(names[i]!, n + extra);
  }
  return out;
}

function renderBlock(header: Cell[], rows: Cell[][], paint: (s: string, st: Style) => string): string[] {
  const widths = header.map((h, j) => Math.max(len(h.text), ...rows.map((r) => len(r[j]!.text))));
  const pad = (c: Cell, w: number) => {
    const space = ' '.repeat(w - len(c.text));
    const body = paint(c.text, c.style);
    return c.align === 'r' ? space + body : body + space;
  };
  const line = (cells: Cell[]) =>
    cells
      .map((c, j) => pad(c, widths[j]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/**
 * The table printed after a run: a row per detector with its AUROC overall and per kind (with the
 * CI when the width allows), its errors and its mean seconds per organism; cells coloured
 * green ≥ 0.85, yellow ≥ 0.7, red below. Fits `width` columns: it drops the CIs first, then
 * abbreviates kind names (with a key under the table), then wraps the kinds into several blocks.
 */
export function renderTerminal(board: Scoreboard, opts: TerminalOptions): string {
  const width = Math.max(40, Math.floor(opts.width ?? 100));
  const noColor = typeof process !== 'undefined' && (process.env.NO_COLOR ?? '') !== '';
  const color = opts.color && !noColor;
  const paint = (s: string, st: Style) => (color && st ? `\u001b[${SGR[st]}m${s}\u001b[0m` : s);
  const baseline = opts.baseline;
  const kinds = slices(board);
  const z = board.zoo;

  const out: string[] = [];
  out.push(
    paint('sandtrap scoreboard', 'bold') +
      fit(`: zoo ${z.name} (${z.specHash.slice(0, 12)}), ${z.organisms} organisms: ${z.positives} misaligned, ${z.controls} controls`, width - 19),
    fit(`seed ${board.settings.seed}, backend ${board.settings.backend}, ${ciName(board.settings)}, ${num(board.timing.wallSeconds, 1)} s`, width),
    '',
  );
  if (board.detectors.length === 0) {
    out.push('No detectors.');
    return `${out.join('\n')}\n`;
  }

  const detW = Math.min(24, Math.max(8, ...board.detectors.map((d) => len(d.id))));
  const aurocCell = (m: Metrics | undefined, withCI: boolean, mark: boolean): Cell => {
    let text = num(m?.auroc);
    if (withCI && m && m.aurocCI.lo !== null && m.aurocCI.hi !== null) text += ` [${num(m.aurocCI.lo)},${num(m.aurocCI.hi)}]`;
    return { text: mark ? `${text}▼` : text, style: aurocStyle(m?.auroc), align: 'r' };
  };
  const costHead: Cell[] = [
    { text: 'errors', align: 'r' },
    { text: 's/org', align: 'r' },
  ];
  const costRow = (i: number): Cell[] => {
    const c = board.detectors[i]!.overall.cost;
    const errors = c.timeouts ? `${c.errors} (${c.timeouts} t/o)` : String(c.errors);
    return [
      { text: errors, align: 'r', style: c.errors ? 'red' : undefined },
      { text: num(c.meanSeconds), align: 'r' },
    ];
  };
  const visibleWidth = (lines: string[]) => Math.max(...lines.map((l) => len(l.replace(/\u001b\[[0-9;]*m/g, ''))));
  const all = kinds.map((_, j) => j);

  /** The AUROC table of `view` (the board, or its unseen-kind scores) with `fixedHead` columns after the kinds, fitted to the width. */
  const fitted = (view: Scoreboard, fixedHead: Cell[], fixedRow: (i: number) => Cell[], marks: 'seen' | 'unseen') => {
    const build = (cols: number[], heads: string[], withCI: boolean, fixed: boolean) => {
      const header: Cell[] = [{ text: 'detector', align: 'l' }, ...cols.map((j) => ({ text: heads[j]!, align: 'r' as const })), ...(fixed ? fixedHead : [])];
      const rows = view.detectors.map((d, i) => [
        { text: fit(d.id, detW), align: 'l' as const },
        ...cols.map((j) => aurocCell(sliceMetrics(d, kinds[j]!), withCI, regressionsOf(baseline, d.id, kinds[j]!, marks).length > 0)),
        ...(fixed ? fixedRow(i) : []),
      ]);
      return renderBlock(header, rows, paint);
    };

    let table: string[] | undefined;
    let key: string | undefined;
    let shownCI = false;
    for (const withCI of [true, false]) {
      const t = build(all, kinds, withCI, true);
      if (visibleWidth(t) <= width) {
        table = t;
        shownCI = withCI;
        break;
      }
    }
    if (!table) {
      for (const n of [8, 6, 5, 4]) {
        // `overall` stays whole: it is short and every reader looks for it.
        const heads = [kinds[0]!, ...abbreviate(kinds.slice(1), n)];
        const t = build(all, heads, false, true);
        if (visibleWidth(t) <= width || n === 4) {
          const pairs = kinds.map((k, j) => [heads[j]!, k] as const).filter(([a, k]) => a !== k);
          key = `kinds: ${pairs.map(([a, k]) => `${a} = ${k}`).join(', ')}`;
          if (visibleWidth(t) <= width) table = t;
          else {
            // Wrap: the kinds in blocks that each fit; errors and s/org with the first, or on their own if that is too wide.
            const blocks: string[][] = [];
            let fixedLeft = true;
            if (visibleWidth(build(all.slice(0, 1), heads, false, true)) > width) {
              blocks.push(build([], heads, false, true));
              fixedLeft = false;
            }
            let j = 0;
            while (j < all.length) {
              let take = 1;
              while (j + take < all.length && visibleWidth(build(all.slice(j, j + take + 1), heads, false, fixedLeft)) <= width) take++;
              blocks.push(build(all.slice(j, j + take), heads, false, fixedLeft));
              fixedLeft = false;
              j += take;
            }
            table = blocks.flatMap((b, i) => (i ? ['', ...b] : b));
          }
          break;
        }
      }
    }
    return { table: table!, key, shownCI };
  };
  const main = fitted(board, costHead, costRow, 'seen');
  const { table, key, shownCI } = main;

  out.push(...table);
  out.push('');
  const bands: Array<[string, Style]> = [
    ['AUROC, each kind vs all controls: ', undefined],
    [`≥ ${AUROC_GOOD}`, 'green'],
    [' / ', undefined],
    [`≥ ${AUROC_FAIR}`, 'yellow'],
    [' / ', undefined],
    ['below', 'red'],
    [`${shownCI ? `, [${pct(board.settings.level)} CI]` : ''}. s/org: mean seconds per organism.`, undefined],
  ];
  const legend = bands.map(([t]) => t).join('');
  out.push(...(len(legend) <= width ? [bands.map(([t, st]) => paint(t, st)).join('')] : wrapWords(legend, width)));
  if (key) out.push(...wrapWords(key, width));
  const view = unseenView(board);
  if (view) {
    const drop = (i: number): Cell[] => {
      const x = board.detectors[i]!.unseenKind?.drop;
      return [{ text: num(x), align: 'r', style: x !== null && x !== undefined && x > 0.05 ? 'red' : undefined }];
    };
    const u = fitted(view, [{ text: 'drop', align: 'r' }], drop, 'unseen');
    out.push('', paint('unseen kinds', 'bold') + fit(': each kind scored by a configure() that never saw it (--holdout kind)', width - 12), ...u.table);
    out.push(...wrapWords('drop: overall AUROC minus its unseen-kind AUROC; a large drop means the detector learned the kinds it was shown, not misalignment.', width));
  }
  if (baseline) {
    out.push('');
    if (baseline.regressions.length === 0) out.push(fit(`No regressions against ${baseline.file} (tolerance ${baseline.tolerance}).`, width));
    else {
      out.push(
        paint(
          fit(`▼ ${baseline.regressions.length} regression${baseline.regressions.length === 1 ? '' : 's'} against ${baseline.file} (tolerance ${baseline.tolerance}):`, width),
          'red',
        ),
      );
      for (const c of baseline.regressions)
        out.push(fit(`  ${c.detector} × ${c.kind}: ${metricLabel(c.metric)} ${num(c.baseline, 3)} → ${num(c.current, 3)} (drop ${num(c.drop, 3)})`, width));
    }
  }
  return `${out.join('\n')}\n`;
}

function wrapWords(s: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of s.split(' ')) {
    if (cur && len(cur) + 1 + len(w) > width) {
      lines.push(cur);
      cur = `  ${w}`;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}
