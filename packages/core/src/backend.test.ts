import { describe, expect, it } from 'vitest';
import { activeBackend, getTf, initBackend, parseBackendRequest } from './backend.js';
import { SandtrapError } from './errors.js';

describe('backends', () => {
  it('a forced backend that is not installed fails with the install command', async () => {
    const err = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandtrapError);
    expect((err as SandtrapError).code).toBe('SANDTRAP_BACKEND_UNAVAILABLE');
    expect((err as Error).message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect(activeBackend()).toBeUndefined();
  });

  it('auto picks wasm where no native TensorFlow is installed, and says why', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/tfjs-node-gpu is not installed/);
    expect(info.candidates.map((c) => c.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(getTf().getBackend()).toBe('wasm');
  });

  it('one engine per process: a second init returns the same, switching is refused', async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    await expect(initBackend('cpu')).rejects.toThrow(/already initialised/);
  });

  it('trains: gradients are registered for the ops the architectures use', () => {
    const tf = getTf();
    const g = tf.grad((x: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.div(tf.relu(x), tf.scalar(2))));
    const out = tf.tidy(() => Array.from(g(tf.tensor1d([-1, 2])).dataSync()));
    expect(out).toEqual([0, 0.5]);
  });

  it('rejects an unknown backend name, naming where it came from', () => {
    expect(() => parseBackendRequest('gpu', 'SANDTRAP_BACKEND')).toThrow(/SANDTRAP_BACKEND: unknown backend 'gpu'; valid backends: auto, tensorflow-gpu/);
    expect(() => parseBackendRequest('gpu', '--backend')).toThrow(expect.objectContaining({ code: 'SANDTRAP_UNKNOWN_NAME' }));
    expect(parseBackendRequest(undefined, '--backend')).toBe('auto');
  });
});
