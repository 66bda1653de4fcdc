/**
 * The scoreboard `npm start` runs: every built-in detector on the committed smoke zoo, then (with
 * `--zoo fixtures/zoo-hard --out sandtrap-report/hard`) on the hard tier, whose zoo.json states its
 * own budget. Also the example of a config file: `sandtrap scoreboard` finds it in the working directory.
 * Reference: docs/reference/config.md.
 */
import { defineConfig } from 'sandtrap';

export default defineConfig({
  zoo: 'fixtures/zoo-smoke',
  detectors: [
    'random',
    'metadata-leak',
    'confidence',
    'difficulty-profile',
    'context-consistency',
    'meta-classifier',
    'noise-injection',
    'finetune-elicitation',
    'latent-knowledge',
    'trigger-reconstruction',
  ],
  out: 'sandtrap-report',
  workers: 2,
});
