import { describe, expect, it } from 'vitest';
import type { Scoreboard } from '../board.js';
import { makeBaseline, makeBoard } from './fixtures.js';
import { renderJunit, xmlEscape } from './junit.js';

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, where: string): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s)) throw new Error(`unescaped < or & in ${where}: ${s.slice(0, 80)}`);
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITY[e]!,
  );
}

/**
 * A strict parser for the XML subset a JUnit file uses (declaration, elements, attributes, text;
 * no DTD, comments or CDATA): throws on anything not well-formed.
 */
function parseXml(xml: string): El {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('missing XML declaration');
  i = decl[0].length;
  // XML 1.0 Char production: no C0 controls but tab, LF, CR.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml)) throw new Error('character not allowed in XML 1.0');
  const stack: El[] = [];
  let root: El | undefined;
  const name = /[A-Za-z_][\w.-]*/y;
  while (i < xml.length) {
    if (xml[i] === '<') {
      if (xml[i + 1] === '/') {
        name.lastIndex = i + 2;
        const m = name.exec(xml);
        if (!m || xml[name.lastIndex] !== '>') throw new Error(`bad end tag at ${i}`);
        const open = stack.pop();
        if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> closes <${open?.name}> at ${i}`);
        i = name.lastIndex + 1;
        continue;
      }
      name.lastIndex = i + 1;
      const m = name.exec(xml);
      if (!m) throw new Error(`bad start tag at ${i}`);
      const el: El = { name: m[0], attrs: {}, children: [], text: '' };
      let j = name.lastIndex;
      for (;;) {
        const a = /\s+([A-Za-z_][\w.:-]*)="([^"]*)"/y;
        a.lastIndex = j;
        const am = a.exec(xml);
        if (!am) break;
        if (am[1]! in el.attrs) throw new Error(`duplicate attribute ${am[1]} on <${el.name}>`);
        el.attrs[am[1]!] = decode(am[2]!, `attribute ${am[1]}`);
        j = a.lastIndex;
      }
      const close = /\s*(\/?)>/y;
      close.lastIndex = j;
      const cm = close.exec(xml);
      if (!cm) throw new Error(`malformed tag <${el.name}> at ${i}: ${xml.slice(i, i + 80)}`);
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) throw new Error('two root elements');
      else root = el;
      if (!cm[1]) stack.push(el);
      i = close.lastIndex;
    } else {
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next === -1 ? xml.length : next);
      if (stack.length) stack[stack.length - 1]!.text += decode(raw, `<${stack[stack.length - 1]!.name}> text`);
      else if (raw.trim()) throw new Error(`text outside the root: ${raw.slice(0, 40)}`);
      i = next === -1 ? xml.length : next;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

const kids = (e: El, name: string) => e.children.filter((c) => c.name === name);
const props = (e: El) => Object.fromEntries((kids(e, 'properties')[0]?.children ?? []).map((p) => [p.attrs.name!, p.attrs.value!]));

describe('parseXml (the test harness itself)', () => {
  it('rejects what a JUnit consumer would reject', () => {
    const h = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => parseXml(`${h}<a><b></a></b>`)).toThrow(/closes/);
    expect(() => parseXml(`${h}<a x="1 < 2"/>`)).toThrow(/unescaped/);
    expect(() => parseXml(`${h}<a>Tom & Jerry</a>`)).toThrow(/unescaped/);
    expect(() => parseXml(`${h}<a x='1'/>`)).toThrow(/malformed/);
    expect(() => parseXml(`${h}<a>\u0001</a>`)).toThrow(/not allowed/);
    expect(parseXml(`${h}<a x="&quot;&amp;&#10;"><b>&lt;ok&gt;</b></a>`).attrs.x).toBe('"&\n');
  });
});

describe('xmlEscape', () => {
  it('escapes markup, keeps line breaks as references, replaces characters XML cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlEscape('x\ny\tz')).toBe('x&#10;y&#9;z');
    expect(xmlEscape('bell\u0007 nul\u0000 lone\uD800 ok😀')).toBe('bell\uFFFD nul\uFFFD lone\uFFFD ok😀');
  });
});

describe('renderJunit', () => {
  const board = makeBoard();
  const baseline = makeBaseline(board);
  const kinds = ['overall', ...board.zoo.kinds];

  it('is well-formed, with one suite per detector and one case per detector × kind', () => {
    const root = parseXml(renderJunit(board));
    expect(root.name).toBe('testsuites');
    const suites = kids(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(board.detectors.map((d) => d.id));
    expect(root.attrs.tests).toBe(String(board.detectors.length * kinds.length));
    for (const [i, s] of suites.entries()) {
      const d = board.detectors[i]!;
      const cases = kids(s, 'testcase');
      expect(cases.map((c) => c.attrs.name)).toEqual(kinds.map((k) => `${d.id} × ${k}`));
      expect(s.attrs.tests).toBe(String(kinds.length));
      expect(s.attrs.failures).toBe('0');
      expect(props(s).ref).toBe(d.ref);
      for (const c of cases) {
        expect(kids(c, 'failure')).toHaveLength(0);
        expect(c.attrs.classname).toBe(`sandtrap.${d.id}`);
        expect(Number(c.attrs.time)).toBeGreaterThanOrEqual(0);
      }
      // Case times partition the detector's cell seconds, so they add up to the suite's.
      const sum = cases.reduce((a, c) => a + Number(c.attrs.time), 0);
      expect(sum).toBeCloseTo(Number(s.attrs.time), 2);
    }
  });

  it('carries the metrics in properties and system-out', () => {
    const root = parseXml(renderJunit(board));
    const probe = board.detectors[0]!;
    const c = kids(kids(root, 'testsuite')[0]!, 'testcase')[0]!;
    const p = props(c);
    expect(p.auroc).toBe(probe.overall.auroc!.toFixed(4));
    expect(p['auroc.ci.lo']).toBe(probe.overall.aurocCI.lo!.toFixed(4));
    expect(p['auroc.ci.hi']).toBe(probe.overall.aurocCI.hi!.toFixed(4));
    expect(p['tpr.at.5.fpr']).toBe(probe.overall.tprAt5Fpr!.toFixed(4));
    expect(p.errors).toBe('0');
    const out = kids(c, 'system-out')[0]!.text;
    expect(out).toContain(`AUROC ${probe.overall.auroc!.toFixed(3)} [${probe.overall.aurocCI.lo!.toFixed(3)}, ${probe.overall.aurocCI.hi!.toFixed(3)}]`);
    expect(out).toContain(`TPR@5%FPR ${probe.overall.tprAt5Fpr!.toFixed(3)}`);
    // The errored detector: its errors and timeouts, and an n/a slice it has no cells for.
    const flaky = kids(kids(root, 'testsuite')[2]!, 'testcase');
    expect(props(flaky[0]!).errors).toBe('3');
    expect(props(flaky[0]!).timeouts).toBe('1');
    expect(props(flaky[1]!).auroc).toBe('n/a');
    expect(kids(flaky[1]!, 'system-out')[0]!.text).toContain('AUROC n/a');
  });

  it('escapes names and messages so that they round-trip', () => {
    const root = parseXml(renderJunit(board));
    const s = kids(root, 'testsuite')[1]!;
    expect(s.attrs.name).toBe('noise <&> "odd"');
    expect(kids(s, 'testcase')[0]!.attrs.name).toBe('noise <&> "odd" × overall');
    const weird: Scoreboard = { ...board, zoo: { ...board.zoo, name: 'zoo\u0001 "x" & <y>' } };
    const r2 = parseXml(renderJunit(weird));
    expect(r2.attrs.name).toBe('sandtrap scoreboard: zoo\uFFFD "x" & <y>');
  });

  it('fails exactly the regressed detector × kind cases, naming metric, baseline, current, drop and tolerance', () => {
    const root = parseXml(renderJunit(board, baseline));
    const failed = new Map<string, El>();
    for (const s of kids(root, 'testsuite')) for (const c of kids(s, 'testcase')) for (const f of kids(c, 'failure')) failed.set(c.attrs.name!, f);
    const expected = new Set(baseline.regressions.map((r) => `${r.detector} × ${r.kind}`));
    expect(new Set(failed.keys())).toEqual(expected);
    expect(root.attrs.failures).toBe(String(expected.size));
    const probe = failed.get('probe × trojan-backdoor')!;
    const r = baseline.regressions.find((x) => x.detector === 'probe')!;
    expect(probe.attrs.type).toBe('regression');
    expect(probe.attrs.message).toBe(
      `AUROC of probe × trojan-backdoor fell by ${r.drop!.toFixed(3)} (baseline ${r.baseline!.toFixed(3)}, current ${r.current!.toFixed(3)}), more than the tolerance 0.050`,
    );
    expect(probe.text).toContain('tolerance: 0.0500');
    // Both metrics of a vanished slice regressed: one failure element names both.
    const gone = failed.get('flaky × deceptive-password')!;
    expect(gone.attrs.message).toMatch(/^AUROC of flaky × deceptive-password is n\/a now \(baseline 0\.900, current n\/a\).*; TPR@5%FPR of flaky × deceptive-password is n\/a now/);
    const flakySuite = kids(root, 'testsuite')[2]!;
    expect(flakySuite.attrs.failures).toBe('2');
  });

  it('keeps a regression of a detector that is gone from the run', () => {
    const b2 = { ...board, detectors: board.detectors.slice(0, 1) };
    const root = parseXml(renderJunit(b2, baseline));
    const suites = kids(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['probe', 'flaky']);
    expect(kids(suites[1]!, 'testcase').map((c) => c.attrs.name)).toEqual(['flaky × overall', 'flaky × deceptive-password']);
    expect(kids(suites[1]!, 'testcase').every((c) => kids(c, 'failure').length === 1)).toBe(true);
  });

  it('is deterministic', () => {
    expect(renderJunit(makeBoard(), makeBaseline(makeBoard()))).toBe(renderJunit(board, baseline));
  });
});
