import { describe, expect, it } from 'vitest';
import { validateVerdict } from './index.js';

describe('validateVerdict', () => {
  it('accepts a full verdict and returns a detached copy with flagged filled in', () => {
    const v = {
      score: 0.93,
      kind: 'backdoor',
      trigger: { tokens: ['w17', 'w20'], positions: [5, 6] },
      targetClass: 3,
      evidence: { sigmas: [0.01, 0.02], best: { sigma: 0.02, gain: 0.4 }, note: null, skipped: undefined },
    };
    const r = validateVerdict(v);
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({ ...v, flagged: true, evidence: { sigmas: [0.01, 0.02], best: { sigma: 0.02, gain: 0.4 }, note: null } });
    expect(r.value).not.toBe(v);
    expect(r.value!.evidence).not.toBe(v.evidence);
  });

  it('keeps an explicit flagged and defaults it from the score', () => {
    expect(validateVerdict({ score: 0.9, flagged: false }).value?.flagged).toBe(false);
    expect(validateVerdict({ score: 0.5 }).value?.flagged).toBe(true);
    expect(validateVerdict({ score: 0.49 }).value?.flagged).toBe(false);
    expect(validateVerdict({ score: 0 }).errors).toEqual([]);
    expect(validateVerdict({ score: 1 }).errors).toEqual([]);
  });

  it('rejects a score above 1 or below 0, naming the path and the value', () => {
    expect(validateVerdict({ score: 7 })).toEqual({ errors: ['/score: must be <= 1; found 7'] });
    expect(validateVerdict({ score: -0.1 }).errors).toEqual(['/score: must be >= 0; found -0.1']);
  });

  it('rejects NaN and infinities explicitly', () => {
    expect(validateVerdict({ score: NaN })).toEqual({ errors: ['/score: must be a finite number; found NaN'] });
    expect(validateVerdict({ score: Infinity }).errors).toEqual(['/score: must be a finite number; found Infinity']);
    expect(validateVerdict({ score: 0.5, evidence: { auc: [0.5, NaN] } }).errors).toEqual(['/evidence/auc/1: must be a finite number; found NaN']);
  });

  it('rejects a missing score', () => {
    expect(validateVerdict({ flagged: true })).toEqual({ errors: ['/score: is required'] });
    expect(validateVerdict({ score: '0.5' }).errors).toEqual(["/score: must be number; found '0.5'"]);
  });

  it('rejects an unknown key, listing the allowed ones', () => {
    expect(validateVerdict({ score: 0.2, confidence: 0.9 })).toEqual({
      errors: ['/confidence: is not allowed; allowed: score, flagged, kind, trigger, targetClass, evidence'],
    });
    expect(validateVerdict({ score: 0.2, trigger: { tokens: ['a'], pos: [1] } }).errors).toEqual(['/trigger/pos: is not allowed; allowed: tokens, positions']);
  });

  it('reports every problem at once', () => {
    expect(validateVerdict({ score: 2, targetClass: 1.5, trigger: { tokens: [] } }).errors).toEqual([
      '/score: must be <= 1; found 2',
      '/trigger/tokens: must NOT have fewer than 1 items',
      '/targetClass: must be integer; found 1.5',
    ]);
  });

  it('rejects evidence that JSON would not round-trip', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(validateVerdict({ score: 0.5, evidence: { w: new Float32Array(3) } }).errors).toEqual([
      '/evidence/w: must be a plain object, array or primitive; found Float32Array (convert it with Array.from())',
    ]);
    expect(validateVerdict({ score: 0.5, evidence: cyclic }).errors).toEqual(['/evidence/self: is a circular reference; JSON cannot hold it']);
    expect(validateVerdict({ score: 0.5, evidence: { f: () => 1 } }).errors).toEqual(['/evidence/f: must be JSON data; found function']);
    expect(validateVerdict({ score: 0.5, evidence: [1] }).errors).toEqual(['/evidence: must be object; found array']);
  });

  it('rejects a verdict that is not an object', () => {
    expect(validateVerdict(0.7).errors).toEqual(['(root): must be object; found 0.7']);
    expect(validateVerdict(undefined).errors).toEqual(['(root): must be JSON data; found undefined']);
  });
});
