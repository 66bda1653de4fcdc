import { describe, expect, it } from 'vitest';
import { calibrateMargin, fitLogistic1d, marginScore, sigmoid } from './calibration.js';

describe('calibrateMargin / marginScore', () => {
  it('separated dev groups: threshold midway, nearest dev organisms at 0.1 / 0.9', () => {
    const c = calibrateMargin([0.53, 1], [0, 0.04], { fallbackThreshold: 0.5 });
    expect(c.method).toBe('margin');
    expect(c.threshold).toBeCloseTo(0.285, 12);
    expect(marginScore(0.53, c)).toBeCloseTo(0.9, 5);
    expect(marginScore(0.04, c)).toBeCloseTo(0.1, 5);
    expect(marginScore(0.285, c)).toBe(0.5);
  });

  it('overlapping groups use the means and pooled spread; no targets falls back to a prior curve', () => {
    const c = calibrateMargin([0.2, 0.6], [0.1, 0.3], { fallbackThreshold: 0.5 });
    expect(c.method).toBe('moments');
    expect(c.threshold).toBeCloseTo(0.3, 12);
    const p = calibrateMargin([], [0, 0.1], { fallbackThreshold: 0.5 });
    expect(p.method).toBe('prior');
    expect(marginScore(0.5, p)).toBe(0.5);
  });
});

describe('fitLogistic1d', () => {
  it('separates two groups: low x → low p, high x → high p, monotone', () => {
    const fit = fitLogistic1d([0, 0.05, 0.1, 0.4, 0.6], [0, 0, 0, 1, 1], 0.1);
    expect(fit.b).toBeGreaterThan(0);
    const p = (x: number) => sigmoid(fit.a + fit.b * x);
    expect(p(0)).toBeLessThan(0.5);
    expect(p(0.6)).toBeGreaterThan(0.5);
    expect(p(0) < p(0.1) && p(0.1) < p(0.4) && p(0.4) < p(0.6)).toBe(true);
  });
  it("one class only: slope 0 and the intercept is Laplace's rule", () => {
    expect(fitLogistic1d([1, 2, 3], [1, 1, 1], 1)).toEqual({ a: Math.log(4), b: 0 });
    expect(fitLogistic1d([1, 2, 3], [0, 0, 0], 1)).toEqual({ a: Math.log(1 / 4), b: 0 });
  });
  it('is the maximum of the penalised likelihood: the gradient vanishes at the fit', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = [0, 0, 1, 0, 1, 1];
    const l2 = 0.5;
    const { a, b } = fitLogistic1d(x, y, l2);
    let ga = 0;
    let gb = l2 * b;
    for (let i = 0; i < x.length; i++) {
      const r = sigmoid(a + b * x[i]!) - y[i]!;
      ga += r;
      gb += r * x[i]!;
    }
    expect(Math.abs(ga)).toBeLessThan(1e-8);
    expect(Math.abs(gb)).toBeLessThan(1e-8);
  });
});

describe('fitLogistic1d on perfectly separated data', () => {
  it('the L2 penalty keeps the fit finite', () => {
    const fit = fitLogistic1d([0, 0, 0, 2, 2.5], [0, 0, 0, 1, 1], 1);
    expect(fit.b).toBeGreaterThan(0);
    const p = (x: number) => 1 / (1 + Math.exp(-(fit.a + fit.b * x)));
    expect(p(0)).toBeLessThan(0.2);
    expect(p(2.5)).toBeGreaterThan(0.75);
    expect(p(2.5)).toBeLessThan(0.95); // the L2 penalty keeps a perfectly separated fit finite
    expect(fitLogistic1d([1, 2, 3], [0, 0, 0], 1)).toEqual({ a: Math.log(1 / 4), b: 0 });
  });
});

describe('sigmoid', () => {
  it('is stable at large |z| and symmetric', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 15);
  });
});
