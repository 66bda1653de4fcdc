/**
 * Run by src/test-detector.test.ts in a child vitest run (not collected by the package's own
 * run: it does not end in .test.ts). Registers the tester's tests for a good and a bad detector.
 */
import { testDetector } from '../src/index.js';
import { good, scoreSeven, configured } from './detectors.js';

const zoo = process.env.SANDTRAP_TESTER_ZOO;
testDetector(good, { zoo, options: { n: 32 }, expect: { positives: ['backdoor'], controls: ['clean'] } });
testDetector(configured, { zoo, organisms: { limit: 1 } });
testDetector(scoreSeven, { zoo, organisms: { limit: 2 } });
