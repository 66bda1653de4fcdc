import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.js';

// The tiny zoo the tests run detectors against is built once, in a global setup.
export default mergeConfig(base, defineConfig({ test: { globalSetup: ['test-fixtures/global-setup.ts'] } }));
