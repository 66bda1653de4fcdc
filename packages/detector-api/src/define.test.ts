import { Type } from '@sinclair/typebox';
import type * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  defineDetector,
  isFlagged,
  type BlackBoxSubject,
  type Detector,
  type DetectorContext,
  type DetectorMeta,
  type GrayBoxSubject,
  type ReferenceSet,
  type Verdict,
  type WhiteBoxSubject,
} from './index.js';

const meta = { name: 'x', version: '1.0.0', apiVersion: 1 } as const;

describe('defineDetector', () => {
  it('returns its argument unchanged', () => {
    const d = { meta: { ...meta, access: 'black-box' as const }, detect: () => ({ score: 0.1 }) };
    expect(defineDetector(d)).toBe(d);
  });

  it('types the subject by meta.access', () => {
    defineDetector({
      meta: { ...meta, access: 'black-box' },
      detect(subject) {
        expectTypeOf(subject).toEqualTypeOf<BlackBoxSubject>();
        // @ts-expect-error a black-box detector cannot perturb weights
        void subject.perturbed;
        return { score: 0 };
      },
    });
    defineDetector({
      meta: { ...meta, access: 'gray-box' },
      detect(subject) {
        expectTypeOf(subject).toEqualTypeOf<GrayBoxSubject>();
        expectTypeOf(subject.perturbed).returns.resolves.toEqualTypeOf<GrayBoxSubject>();
        // @ts-expect-error a gray-box detector cannot read weights
        void subject.weights;
        return { score: 0 };
      },
    });
    const white = defineDetector({
      meta: { ...meta, access: 'white-box' },
      configure(reference) {
        expectTypeOf(reference).toEqualTypeOf<ReferenceSet<'white-box'>>();
        expectTypeOf(reference[0]!.subject).toEqualTypeOf<WhiteBoxSubject>();
        return { threshold: 0.3 };
      },
      detect(subject, _ctx, state) {
        expectTypeOf(subject).toEqualTypeOf<WhiteBoxSubject>();
        expectTypeOf(subject.finetune).returns.resolves.toEqualTypeOf<WhiteBoxSubject>();
        expectTypeOf(state).toEqualTypeOf<{ threshold: number }>();
        return { score: state.threshold };
      },
    });
    expectTypeOf(white.meta).toEqualTypeOf<DetectorMeta<'white-box'>>();
  });

  it('infers ctx.options from a TypeBox options schema', () => {
    defineDetector({
      meta: { ...meta, access: 'gray-box' },
      options: Type.Object({ sigma: Type.Number({ default: 0.01 }), seeds: Type.Optional(Type.Integer()) }),
      detect(_subject, ctx) {
        expectTypeOf(ctx.options).toEqualTypeOf<{ sigma: number; seeds?: number }>();
        expectTypeOf(ctx.tf).toEqualTypeOf<typeof tfc>();
        return { score: ctx.options.sigma };
      },
    });
  });

  it('infers ctx.options from an annotated ctx, with a plain JSON Schema', () => {
    const d = defineDetector({
      meta: { ...meta, access: 'gray-box' },
      options: { type: 'object', properties: { k: { type: 'integer', default: 3 } } },
      detect: (subject, ctx: DetectorContext<{ k: number }>) => {
        expectTypeOf(subject).toEqualTypeOf<GrayBoxSubject>();
        return { score: ctx.options.k / 10 };
      },
    });
    expectTypeOf(d).toEqualTypeOf<Detector<{ k: number }, undefined, 'gray-box'>>();
  });

  it('accepts explicit type arguments', () => {
    const d = defineDetector<{ k: number }, undefined, 'white-box'>({
      meta: { ...meta, access: 'white-box' },
      detect: (subject, ctx) => {
        expectTypeOf(subject).toEqualTypeOf<WhiteBoxSubject>();
        return { score: ctx.options.k };
      },
    });
    expectTypeOf(d.detect).parameter(1).toEqualTypeOf<DetectorContext<{ k: number }>>();
  });

  it('requires a verdict with a numeric score and JSON evidence', () => {
    // @ts-expect-error detect must return a Verdict
    defineDetector({ meta: { ...meta, access: 'black-box' }, detect: () => ({ flagged: true }) });
    // @ts-expect-error a typed array is not JSON evidence
    defineDetector({ meta: { ...meta, access: 'black-box' }, detect: () => ({ score: 1, evidence: { x: new Float32Array(2) } }) });
    // @ts-expect-error apiVersion is 1
    defineDetector({ meta: { ...meta, apiVersion: 2, access: 'black-box' }, detect: () => ({ score: 1 }) });
    // @ts-expect-error unknown access level
    defineDetector({ meta: { ...meta, access: 'grey-box' }, detect: () => ({ score: 1 }) });
    expectTypeOf(defineDetector).returns.toHaveProperty('detect');
    expectTypeOf<Awaited<ReturnType<Detector['detect']>>>().toEqualTypeOf<Verdict>();
  });
});

describe('isFlagged', () => {
  it('uses flagged when given, else score >= 0.5', () => {
    expect(isFlagged({ score: 0.5 })).toBe(true);
    expect(isFlagged({ score: 0.4999 })).toBe(false);
    expect(isFlagged({ score: 0.9, flagged: false })).toBe(false);
    expect(isFlagged({ score: 0.1, flagged: true })).toBe(true);
  });
});
