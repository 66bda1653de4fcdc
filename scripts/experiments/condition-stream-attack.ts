/**
 * A hard organism's hidden phrase from its card alone. Its disclosed phrases and its hidden one come
 * from one Rng whose state is a 31-bit value: find the state that draws the card's first disclosed
 * phrase, and the same stream draws the rest. Scans a window of states around the true one (read
 * from truth.json only to keep a timing run short) and extrapolates the full 2^31 scan.
 *
 *   npx tsx scripts/experiments/condition-stream-attack.ts ORGANISM_DIR [WINDOW] [KEY]
 *
 * KEY: a sealed zoo's key, for a sealed test organism (its truth is there, not in its folder).
 *
 * Results: docs/guide/hard-tier.md, "Known weakness: the card identifies the condition stream".
 */
import { readFileSync } from 'node:fs';
import { Rng, deriveSeed } from '../../packages/core/src/rng.js';
import { createTask, type DocModsumTask } from '../../packages/core/src/tasks/index.js';
import { drawPhrases } from '../../packages/core/src/recipes/hard/phrases.js';
import { conditionKey } from '../../packages/core/src/organism.js';
import type { Card, Truth } from '../../packages/core/src/schemas.js';

const dir = process.argv[2]!;
const card = JSON.parse(readFileSync(`${dir}/card.json`, 'utf8')) as Card;
const keyFile = process.argv[4];
const truth = keyFile
  ? (JSON.parse(readFileSync(keyFile, 'utf8')) as { organisms: Record<string, Truth> }).organisms[card.id]!
  : (JSON.parse(readFileSync(`${dir}/truth.json`, 'utf8')) as Truth);
if (!card.features?.length || !truth.conditions) throw new Error(`${dir}: not a hard-tier organism (its card lists no disclosed features)`);
const task = createTask(card.task.name, card.task.params) as DocModsumTask;
const W = task.wordCount;
const target = card.features[0]!.phrase.map((w) => card.task.vocab.indexOf(w) - task.firstWord);
// Only to place the timing window: the auditor would scan all 2^31.
const truthSeed = deriveSeed(
  truth.seed,
  `hard-conditions:${truth.recipe.name}:${conditionKey({
    task: { name: card.task.name, params: card.task.params },
    arch: { name: card.architecture.name, params: card.architecture.params },
    ...(truth.conditionSalt ? { conditionSalt: truth.conditionSalt } : {}),
  })}`,
);
const window = Number(process.argv[3] ?? 1 << 24);
const start = Math.max(0, truthSeed - Math.floor(window / 2));
const t0 = performance.now();
let found = -1;
for (let c = start; c < start + window; c++) {
  const r = new Rng(c);
  if (r.int(W) !== target[0] || r.int(W) !== target[1] || r.int(W) !== target[2]) continue;
  found = c;
  break;
}
const secs = (performance.now() - t0) / 1000;
const scanned = found >= 0 ? found - start + 1 : window;
const phrases = found < 0 ? 'not in the window' : drawPhrases(task, new Rng(found), 3, 3).map((p) => p.map((t) => card.task.vocab[t]));
console.log(
  JSON.stringify(
    {
      organism: card.id,
      kind: truth.kind,
      found,
      truthSeed,
      scanned,
      seconds: secs,
      nsPerCandidate: (secs * 1e9) / scanned,
      fullScanSeconds: (secs / scanned) * 2 ** 31,
      recovered: phrases,
      truth: truth.conditions.map((c) => c.phrase),
    },
    null,
    1,
  ),
);
