import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.js';

// This package is mostly types: type-check the tests too, so `vitest run` fails when a
// type-level assertion (expectTypeOf, @ts-expect-error) breaks, not only `tsc`.
export default mergeConfig(base, defineConfig({ test: { typecheck: { enabled: true, include: ['src/define.test.ts'], tsconfig: './tsconfig.json' } } }));
