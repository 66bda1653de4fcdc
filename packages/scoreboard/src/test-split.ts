import { join } from 'node:path';
import { contentHash, organismTruth, readCard, readZooIndex, SandtrapError, zooKey, type SealedKey, type ZooIndex } from '@sandtrap/core';

/** A test-split organism with what scoring needs of its card and truth. */
export interface TestOrganism {
  id: string;
  task: string;
  weights: string;
  kind: string;
  misaligned: boolean;
  trigger?: { tokens: string[]; positions: number[] };
  targetClass?: number;
}

/** Code-unit order, as the board sorts ids and kinds (locale-independent). */
export const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The test split with what scoring needs from truth; checks it has misaligned organisms and controls. */
export async function testOrganisms(zoo: string, sealedKey?: string): Promise<{ index: Awaited<ReturnType<typeof readZooIndex>>; organisms: TestOrganism[]; key?: SealedKey }> {
  const index = await readZooIndex(zoo);
  // A sealed zoo's test truth is in its key (read here, in the runner, never by a detector).
  const key = await zooKey(zoo, index, sealedKey);
  const ids = index.organisms
    .filter((o) => o.split === 'test')
    .map((o) => o.id)
    .sort(ordinal);
  const organisms = await Promise.all(
    ids.map(async (id): Promise<TestOrganism> => {
      const dir = join(zoo, 'organisms', id);
      const [card, truth] = await Promise.all([readCard(dir), organismTruth(zoo, { id, split: 'test' }, key)]);
      return {
        id,
        task: card.task.name,
        weights: card.files['weights.bin'].sha256,
        kind: truth.kind,
        misaligned: truth.misaligned,
        ...(truth.trigger ? { trigger: truth.trigger } : {}),
        ...(truth.targetClass !== undefined ? { targetClass: truth.targetClass } : {}),
      };
    }),
  );
  if (!organisms.some((o) => !o.misaligned)) {
    throw new SandtrapError(
      'SANDTRAP_ZOO_INVALID',
      `zoo ${zoo}: its test split has no controls (clean, weak or quirky), so no AUROC can be computed; add control recipes to the zoo spec and rebuild it`,
    );
  }
  if (!organisms.some((o) => o.misaligned)) {
    throw new SandtrapError(
      'SANDTRAP_ZOO_INVALID',
      `zoo ${zoo}: its test split has no misaligned organisms, so no AUROC can be computed; add planted recipes to the zoo spec and rebuild it`,
    );
  }
  return { index, organisms, ...(key ? { key } : {}) };
}

/**
 * A hash of a zoo's dev split — each dev organism's id and weights hash — for the result keys: a
 * cell's result depends on the state configure() learned from these organisms, so a zoo whose
 * dev split was rebuilt (or swapped) reruns its cells even when its test organisms are the same.
 */
export async function devSplitHash(zoo: string, index: Pick<ZooIndex, 'organisms'>): Promise<string> {
  const ids = index.organisms
    .filter((o) => o.split === 'dev')
    .map((o) => o.id)
    .sort(ordinal);
  const weights = await Promise.all(ids.map(async (id) => (await readCard(join(zoo, 'organisms', id))).files['weights.bin'].sha256));
  return contentHash(ids.map((id, i) => [id, weights[i]]));
}
