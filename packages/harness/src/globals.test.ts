import { BudgetMeter, getTf, initBackend } from '@sandtrap/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { globalsChanged, snapshotGlobals } from './globals.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('snapshotGlobals / globalsChanged', () => {
  it('a quiet process (tensor ops included) shows no change', () => {
    const before = snapshotGlobals();
    const tf = getTf();
    tf.tidy(() => tf.matMul(tf.ones([4, 4]), tf.ones([4, 4])).dataSync());
    expect(globalsChanged(before, snapshotGlobals())).toEqual([]);
  });

  it('names a replaced built-in, an added global, a patched meter prototype, an engine method patched in, and an env change', () => {
    const before = snapshotGlobals();
    const random = Math.random;
    const query = BudgetMeter.prototype.query;
    const engine = getTf().engine() as unknown as Record<string, unknown>;
    const g = globalThis as Record<string, unknown>;
    try {
      Math.random = () => 0.5;
      g.__stash = 1;
      BudgetMeter.prototype.query = () => {};
      engine.memory = () => ({ numTensors: 0 });
      process.env.SANDTRAP_TEST_CHANNEL = 'x';
      expect(globalsChanged(before, snapshotGlobals(), 10).sort()).toEqual(
        ['BudgetMeter.prototype.query replaced', 'Math.random replaced', 'globalThis.__stash added', 'process.env.SANDTRAP_TEST_CHANNEL added', 'tf.engine().memory added'].sort(),
      );
    } finally {
      Math.random = random;
      delete g.__stash;
      BudgetMeter.prototype.query = query;
      delete engine.memory;
      delete process.env.SANDTRAP_TEST_CHANNEL;
    }
    expect(globalsChanged(before, snapshotGlobals())).toEqual([]);
  });

  it('cannot be blinded by replacing the reflection or Array methods it would use', () => {
    const before = snapshotGlobals();
    // Kept to put back: the test replaces them.
    const ownKeys = Reflect.ownKeys;

    const push = Array.prototype.push;
    try {
      Reflect.ownKeys = () => [];
      Array.prototype.push = () => 0;
      const changed = globalsChanged(before, snapshotGlobals(), 10);
      Reflect.ownKeys = ownKeys;
      Array.prototype.push = push;
      expect(changed.sort()).toEqual(['Array.prototype.push replaced', 'Reflect.ownKeys replaced']);
    } finally {
      Reflect.ownKeys = ownKeys;
      Array.prototype.push = push;
    }
  });
});
