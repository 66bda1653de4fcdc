import { describe, expect, it } from 'vitest';
import { fitLogistic, fitLogistic1d, sigmoid, softplus, solveSpd } from './index.js';

// A fixed standardised design (12 rows × 3 columns) and labels. The expected fits below were
// produced by the two logistic regressions this module replaced (the meta-classifier's and the
// metadata-leak detector's) and must be reproduced bit for bit: detector scores depend on them.
const z = [
  [-0.1497648298937531, 1.2079324345923854, -1.3054598240132387],
  [1.2270699262327758, 0.8694282632600246, 0.11867816581938535],
  [0.5868385390531787, 0.0131195503141315, 1.5428161556520092],
  [-1.1325185093118242, -0.9582583363541114, -0.5933908290969268],
  [-1.4121391149823592, -1.5878511984464647, 0.8307471607356971],
  [0.15762156443031133, -1.5795516752610543, -1.3054598240132387],
  [1.2770604560284988, -0.9372631622356077, 0.11867816581938535],
  [0.3061969610544717, 0.03693601691915272, 1.5428161556520092],
  [-1.3326516258635672, 0.8848647659646652, -0.5933908290969268],
  [-1.2385682854768094, 1.2077289449726443, 0.8307471607356971],
  [0.4506146681343191, 0.8536804856636787, -1.3054598240132387],
  [1.2602402505947583, -0.010766089389444202, 0.11867816581938535],
];
const y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1];

describe('fitLogistic', () => {
  it("reproduces the meta-classifier's fit (balanced classes, bias from 0, per-weight penalty)", () => {
    const opts = { classWeights: 'balanced', penaltySummation: 'per-weight' } as const;
    const a = fitLogistic(z, y, { l2: 1, ...opts });
    expect([...a.weights, a.bias]).toEqual([-0.23851616338184922, 0.3850885912431521, 0.05025243402900161, 0.021611199854661745]);
    const b = fitLogistic(z, y, { l2: 0.1, ...opts });
    expect([...b.weights, b.bias]).toEqual([-0.34206353431823916, 0.5237921483035806, 0.07835166441786043, 0.031004528685914717]);
  });

  it("reproduces the metadata-leak detector's fit (unweighted, bias from the prior)", () => {
    expect(fitLogistic(z, y, { l2: 1, initialBias: 'prior' })).toEqual({
      weights: [-0.20787453575520168, 0.37602821332543246, 0.05587882903382904],
      bias: 0.3515136917871743,
      iterations: 4,
    });
    expect(fitLogistic(z, y, { l2: 0.1, initialBias: 'prior' })).toEqual({
      weights: [-0.29013849236265765, 0.5079943172617106, 0.08699368213240492],
      bias: 0.3641313905139313,
      iterations: 4,
    });
  });

  it('is at a stationary point of the penalised objective', () => {
    const l2 = 0.5;
    const { weights, bias } = fitLogistic(z, y, { l2 });
    const grad = new Array<number>(4).fill(0);
    z.forEach((row, i) => {
      const r = sigmoid(bias + row.reduce((s, v, j) => s + v * weights[j]!, 0)) - y[i]!;
      row.forEach((v, j) => (grad[j]! += r * v));
      grad[3]! += r;
    });
    weights.forEach((w, j) => (grad[j]! += l2 * w));
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-8);
  });

  it('starts from the prior, so an uninformative design takes no step', () => {
    const fit = fitLogistic([[0], [0], [0], [0]], [1, 1, 1, 0], { l2: 1, initialBias: 'prior' });
    expect(fit.weights).toEqual([0]);
    expect(sigmoid(fit.bias)).toBeCloseTo(0.75, 12);
    expect(fit.iterations).toBe(0);
  });

  it('refuses balanced weights with one class, and mismatched labels', () => {
    expect(() =>
      fitLogistic(
        z,
        y.map(() => 1),
        { l2: 1, classWeights: 'balanced' },
      ),
    ).toThrow(/need both classes \(got 12 positives of 12\)/);
    expect(() => fitLogistic(z, [1, 0], { l2: 1 })).toThrow(/12 rows but 2 labels/);
  });
});

describe('fitLogistic1d', () => {
  it('separates a monotone feature and falls back to Laplace with one class', () => {
    const { a, b } = fitLogistic1d([0, 1, 2, 3, 4, 5], [0, 0, 1, 0, 1, 1], 0.1);
    expect(b).toBeGreaterThan(0);
    expect(sigmoid(a + b * 5)).toBeGreaterThan(0.8);
    expect(fitLogistic1d([1, 2, 3], [1, 1, 1], 1)).toEqual({ a: Math.log(4 / 1), b: 0 });
  });
});

describe('sigmoid and softplus', () => {
  it('do not overflow', () => {
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('solveSpd', () => {
  const a = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2];

  it("reproduces the latent-knowledge probe's solve (two right-hand sides, pivot floor 1e-12)", () => {
    const x = solveSpd(a, 3, [1, 2, 3, 4, 5, 6], 2, { pivotFloor: 1e-12 });
    expect(Array.from(x)).toEqual([-0.29309534992954434, -0.16345702207609197, 0.9323626115547206, 1.1930483795209017, 2.4800375763269136, 2.9215594175669324]);
  });

  it('solves A·x = b and reads only the lower triangle', () => {
    const b = [1, -2, 0.5];
    const x = solveSpd(a, 3, b);
    for (let i = 0; i < 3; i++) expect(a[i * 3]! * x[0]! + a[i * 3 + 1]! * x[1]! + a[i * 3 + 2]! * x[2]!).toBeCloseTo(b[i]!, 12);
    const lower = [4, 99, 99, 1, 3, 99, 0.5, 0.2, 2];
    expect(Array.from(solveSpd(lower, 3, b))).toEqual(Array.from(x));
    expect(b).toEqual([1, -2, 0.5]);
  });

  it('stays finite on a singular matrix thanks to the pivot floor, and checks sizes', () => {
    expect(Array.from(solveSpd([1, 1, 1, 1], 2, [1, 1], 1, { pivotFloor: 1e-12 })).every(Number.isFinite)).toBe(true);
    expect(() => solveSpd([1, 2, 3], 2, [1, 1])).toThrow(/A has 3 entries, expected 2×2/);
  });
});
