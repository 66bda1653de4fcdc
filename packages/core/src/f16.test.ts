import { describe, expect, it } from 'vitest';
import { encodeFloat16, fromFloat16Bits, roundToFloat16, toFloat16Bits } from './f16.js';

describe('float16', () => {
  it('round-trips exactly representable values and rounds others to the nearest half', () => {
    for (const x of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14), 1000.5]) expect(fromFloat16Bits(toFloat16Bits(x))).toBe(x);
    expect(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11))).toBe(1); // tie → even
    expect(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie → even (up)
    expect(fromFloat16Bits(toFloat16Bits(1e6))).toBe(Infinity);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
    expect(fromFloat16Bits(toFloat16Bits(2 ** -26))).toBe(0);
  });

  it('has relative error ≤ 2⁻¹¹ on normal values, and rounding is idempotent', () => {
    const v = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 3.7);
    const r = roundToFloat16(v);
    for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) > 2 ** -14) expect(Math.abs(r[i]! - v[i]!) / Math.abs(v[i]!)).toBeLessThanOrEqual(2 ** -11);
    expect(roundToFloat16(r)).toEqual(r);
    expect(encodeFloat16(v).byteLength).toBe(10000);
  });
});
