import { beforeAll, describe, it } from 'vitest';
import type { TesterCases } from './cases.js';
import { createDetectorTester, type DetectorTester } from './tester.js';

const DAY_MS = 86_400_000;
const ms = (seconds: number) => (Number.isFinite(seconds) ? Math.min(DAY_MS, seconds * 1000) : DAY_MS);

/**
 * Registers, in the calling vitest file, one named test per check of `detector` against a zoo:
 * shape, meta, options, `configure()` (when present), `detect()` on each selected organism, and
 * the optional `expect` ranking. Unknown keys in `cases` throw at once (the test file fails).
 *
 * ```ts
 * import { testDetector } from '@sandtrap/detector-tester';
 * import detector from '../src/index.js';
 * testDetector(detector, { zoo: 'sandtrap-zoo/smoke', options: { n: 128 } });
 * ```
 *
 * Returns the tester, whose methods are the checks (for tests that need the reports).
 */
export function testDetector(detector: unknown, cases?: TesterCases): DetectorTester {
  const t = createDetectorTester(detector, cases);
  const hasConfigure = typeof (detector as { configure?: unknown } | null)?.configure === 'function';
  // Room for loading organisms and fingerprinting them, on top of the detector's own wall time.
  const cellTimeout = ms(t.limits.wallSeconds) + 60_000;
  const devCount = t.zoo.organisms.filter((o) => o.split === 'dev').length;

  describe(`detector ${t.label}`, () => {
    beforeAll(async () => {
      await t.init();
    }, 120_000);

    it('is a detector object { meta, options?, configure?, detect } (checkDetectorShape)', () => {
      t.checkShape();
    });

    it('has a valid meta (validateMeta)', () => {
      t.checkMeta();
    });

    it('its options validate against its own options schema (ajv)', () => {
      t.checkOptions();
    });

    it.skipIf(!hasConfigure)(
      `configure() runs on the ${devCount} dev-split organisms and returns structured-cloneable state`,
      async () => {
        await t.checkConfigure();
      },
      ms(t.limits.wallSeconds * Math.max(1, devCount)) + 60_000 * Math.max(1, devCount),
    );

    for (const o of t.organisms) {
      it(
        `detect() on ${o.split} organism ${o.id}: valid verdict, within budget, no leaked tensors, organism unchanged`,
        async () => {
          await t.checkDetect(o.id);
        },
        // The first cell may also wait for configure().
        cellTimeout + (hasConfigure ? ms(t.limits.wallSeconds * Math.max(1, devCount)) + 60_000 : 0),
      );
    }

    const e = t.cases.expect;
    if (e) {
      it(
        `ranks ${e.positives.join(', ')} above ${e.controls.join(', ')} (AUROC ≥ ${e.minAuroc ?? 0.85})`,
        async () => {
          await t.checkExpect();
        },
        cellTimeout * Math.max(1, t.organisms.length),
      );
    }
  });
  return t;
}
