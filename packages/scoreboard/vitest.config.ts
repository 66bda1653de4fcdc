import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.js';

// The report's browser test needs a Chromium: the global setup finds or installs one, once per run.
export default mergeConfig(base, defineConfig({ test: { globalSetup: ['test/global-setup.ts'] } }));
