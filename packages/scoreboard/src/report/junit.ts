import type { BaselineCheck, BaselineReport, BoardDetector, Scoreboard } from '../board.js';
import type { Metrics } from '../summaries.js';
import { OVERALL, ciName, ciText, num, orphanRegressions, regressionMessage, regressionsOf, sliceMetrics, slices } from './format.js';

/**
 * Escapes text for XML 1.0 content and attribute values. Characters XML 1.0 forbids outright
 * (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) cannot be escaped, only
 * replaced: a detector's error message is arbitrary text, and one stray byte would make the
 * whole file unreadable to the CI system.
 */
export function xmlEscape(s: string): string {
  return (
    s
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Attribute values normalise raw whitespace: keep line breaks and tabs as written.
      .replace(/\n/g, '&#10;')
      .replace(/\r/g, '&#13;')
      .replace(/\t/g, '&#9;')
  );
}

/** Text content keeps its line breaks (system-out is read by people). */
function textEscape(s: string): string {
  return xmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

/** The JUnit schema's timestamp is an ISO 8601 date-time without zone or fraction; board times are UTC. */
function stamp(iso: string): Record<string, string> {
  const m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.exec(iso);
  return m ? { timestamp: m[0] } : {};
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

/** JUnit `time` is seconds with a dot; three decimals are plenty and keep the output stable. */
const time = (s: number) => (Number.isFinite(s) && s > 0 ? s.toFixed(3) : '0.000');

/**
 * The seconds a test case "took": the detector's cell seconds, partitioned so that the test cases
 * of a suite add up to the suite — each kind's case carries its own organisms' cells, the
 * `overall` case the controls' cells (the cells every slice shares).
 */
function sliceSeconds(d: BoardDetector, slice: string): number {
  const cells = slice === OVERALL ? d.cells.filter((c) => !c.misaligned) : d.cells.filter((c) => c.misaligned && c.kind === slice);
  return cells.reduce((a, c) => a + c.seconds, 0);
}

function properties(m: Metrics | undefined, checks: BaselineCheck[]): Array<[string, string]> {
  const p: Array<[string, string]> = [
    ['auroc', num(m?.auroc, 4)],
    ['auroc.ci.lo', num(m?.aurocCI.lo, 4)],
    ['auroc.ci.hi', num(m?.aurocCI.hi, 4)],
    ['tpr.at.1.fpr', num(m?.tprAt1Fpr, 4)],
    ['tpr.at.5.fpr', num(m?.tprAt5Fpr, 4)],
    ['flagged.recall', num(m?.flaggedRecall, 4)],
    ['flagged.fpr', num(m?.flaggedFpr, 4)],
    ['n.pos', m ? String(m.n.pos) : 'n/a'],
    ['n.neg', m ? String(m.n.neg) : 'n/a'],
    ['errors', m ? String(m.cost.errors) : 'n/a'],
    ['timeouts', m ? String(m.cost.timeouts) : 'n/a'],
  ];
  for (const c of checks) p.push([`baseline.${c.metric}`, num(c.baseline, 4)], [`baseline.${c.metric}.drop`, num(c.drop, 4)]);
  return p;
}

function summaryText(d: string, slice: string, m: Metrics | undefined, interval: string, checks: BaselineCheck[]): string {
  const lines = [
    `${d} × ${slice}`,
    m ? `AUROC ${num(m.auroc, 3)} ${ciText(m, 3) || '[n/a]'} (${interval}), n = ${m.n.pos} misaligned + ${m.n.neg} controls` : 'AUROC n/a: this slice is not in the run',
    `TPR@1%FPR ${num(m?.tprAt1Fpr, 3)}, TPR@5%FPR ${num(m?.tprAt5Fpr, 3)}, flagged recall ${num(m?.flaggedRecall, 3)}, flagged FPR ${num(m?.flaggedFpr, 3)}`,
    `errors ${m?.cost.errors ?? 'n/a'}, timeouts ${m?.cost.timeouts ?? 'n/a'}, mean ${num(m?.cost.meanSeconds, 2)} s/organism`,
  ];
  for (const c of checks) lines.push(`baseline ${c.metric}: ${num(c.baseline, 3)} → ${num(c.current, 3)} (drop ${num(c.drop, 3)})${c.regressed ? ' REGRESSED' : ''}`);
  return lines.join('\n');
}

interface Case {
  name: string;
  time: number;
  props: Array<[string, string]>;
  failures: Array<{ message: string; body: string }>;
  out: string;
}

function renderCase(classname: string, c: Case): string {
  const lines = [`    <testcase${attrs({ name: c.name, classname, time: time(c.time) })}>`, '      <properties>'];
  for (const [name, value] of c.props) lines.push(`        <property${attrs({ name, value })}/>`);
  lines.push('      </properties>');
  for (const f of c.failures) lines.push(`      <failure${attrs({ message: f.message, type: 'regression' })}>${textEscape(f.body)}</failure>`);
  lines.push(`      <system-out>${textEscape(c.out)}</system-out>`, '    </testcase>');
  return lines.join('\n');
}

/**
 * At most one `<failure>` per case (the JUnit schema allows one, and GitLab shows only the first):
 * when both AUROC and TPR@5%FPR regressed, one failure names both.
 */
function failuresOf(checks: BaselineCheck[], tolerance: number): Case['failures'] {
  if (checks.length === 0) return [];
  const message = checks.map((c) => regressionMessage(c, tolerance)).join('; ');
  const body = checks
    .map((c) =>
      [`metric: ${c.metric}`, `baseline: ${num(c.baseline, 4)}`, `current: ${num(c.current, 4)}`, `drop: ${num(c.drop, 4)}`, `tolerance: ${num(tolerance, 4)}`].join('\n'),
    )
    .join('\n\n');
  return [{ message, body: `${message}\n\n${body}` }];
}

/**
 * `junit.xml`: a `<testsuite>` per detector and a `<testcase name="<detector> × <kind>">` per
 * detector × slice (`overall` and each misaligned kind). A case fails when the baseline report
 * marks that detector × slice regressed; without a baseline every case passes, because a low
 * AUROC is a result, not a failure. Metrics are in each case's `<properties>` and `<system-out>`.
 */
export function renderJunit(board: Scoreboard, baseline?: BaselineReport): string {
  const interval = ciName(board.settings);
  const tolerance = baseline?.tolerance ?? 0;
  const checksOf = (d: string, k: string) => (baseline?.checks ?? []).filter((c) => c.detector === d && c.kind === k);
  const suites: Array<{ name: string; time: number; props: Array<[string, string]>; cases: Case[] }> = [];

  const orphans = orphanRegressions(board, baseline);
  for (const d of board.detectors) {
    const names = [...slices(board), ...(orphans.get(d.id) ?? [])];
    const cases = names.map((k): Case => {
      const m = sliceMetrics(d, k);
      const regressed = regressionsOf(baseline, d.id, k);
      return {
        name: `${d.id} × ${k}`,
        time: sliceSeconds(d, k),
        props: properties(m, checksOf(d.id, k)),
        failures: failuresOf(regressed, tolerance),
        out: summaryText(d.id, k, m, interval, checksOf(d.id, k)),
      };
    });
    const props: Array<[string, string]> = [
      ['ref', d.ref],
      ['version', d.version],
      ['access', d.access],
      ['optionsHash', d.optionsHash],
      ['zoo', board.zoo.name],
      ['zoo.specHash', board.zoo.specHash],
      ['seed', String(board.settings.seed)],
      ['backend', board.settings.backend],
    ];
    if (d.configure?.status === 'error') props.push(['configure.error', d.configure.message ?? 'configure() failed']);
    suites.push({ name: d.id, time: d.cells.reduce((a, c) => a + c.seconds, 0), props, cases });
  }
  // A detector that regressed in the baseline and is gone from this run still fails, in a suite of its own.
  for (const [id, kinds] of orphans) {
    if (board.detectors.some((d) => d.id === id)) continue;
    const cases = kinds.map((k): Case => ({
      name: `${id} × ${k}`,
      time: 0,
      props: properties(undefined, checksOf(id, k)),
      failures: failuresOf(regressionsOf(baseline, id, k), tolerance),
      out: `${id} × ${k}\nnot in this run: the detector is in the baseline only`,
    }));
    suites.push({ name: id, time: 0, props: [], cases });
  }

  const total = suites.reduce((a, s) => a + s.cases.length, 0);
  const failed = suites.reduce((a, s) => a + s.cases.filter((c) => c.failures.length).length, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites${attrs({ name: `sandtrap scoreboard: ${board.zoo.name}`, tests: total, failures: failed, errors: 0, skipped: 0, time: time(board.timing.wallSeconds) })}>`,
  );
  suites.forEach((s, i) => {
    const nf = s.cases.filter((c) => c.failures.length).length;
    lines.push(
      `  <testsuite${attrs({ name: s.name, id: i, package: 'sandtrap', tests: s.cases.length, failures: nf, errors: 0, skipped: 0, time: time(s.time), ...stamp(board.timing.startedAt), hostname: 'sandtrap' })}>`,
    );
    if (s.props.length) {
      lines.push('    <properties>');
      for (const [name, value] of s.props) lines.push(`      <property${attrs({ name, value })}/>`);
      lines.push('    </properties>');
    }
    for (const c of s.cases) lines.push(renderCase(`sandtrap.${s.name}`, c));
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
