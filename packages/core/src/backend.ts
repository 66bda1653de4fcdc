import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradients; the @tensorflow/tfjs umbrella does (into the global
// registry that every copy of tfjs-core shares). Training needs them.
import '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { SandtrapError } from './errors.js';
import { routeWasmTransposedMatMul } from './matmul-route.js';
import { registerWasmUnsortedSegmentSum } from './segment-sum.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', ...BACKEND_NAMES];

/** The npm package that provides each backend, and the command that installs it. */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};
const TFJS_VERSION = '4.22.0';

export interface BackendCandidate {
  name: BackendName;
  available: boolean;
  reason: string;
}

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** One line: which backend and why. */
  reason: string;
  requested: BackendRequest;
  /** What `auto` tried, in order, and why each was taken or passed over. */
  candidates: BackendCandidate[];
  tfjsVersion: string;
  gpu: { usable: boolean; detail: string };
}

type Tf = typeof tf;
let active: { info: BackendInfo; tf: Tf } | undefined;

/** The one TensorFlow.js engine of this process. Every consumer (trainer, Subject, plugins) uses it. */
export function getTf(): Tf {
  if (!active) throw new Error('no backend initialised: call initBackend() first');
  return active.tf;
}

export function activeBackend(): BackendInfo | undefined {
  return active?.info;
}

export function parseBackendRequest(value: string | undefined, source: string): BackendRequest {
  const v = (value ?? 'auto').trim();
  if ((BACKEND_REQUESTS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `${source}: unknown backend '${v}'; valid backends: ${BACKEND_REQUESTS.join(', ')}`);
}

/** Is a CUDA GPU usable? tfjs-node-gpu silently falls back to the CPU without one. */
export function detectCudaGpu(): { usable: boolean; detail: string } {
  try {
    const gpus = '/proc/driver/nvidia/gpus';
    if (existsSync(gpus) && readdirSync(gpus).length > 0) {
      return { usable: true, detail: `${readdirSync(gpus).length} NVIDIA GPU(s) in /proc/driver/nvidia/gpus` };
    }
  } catch {
    /* fall through to nvidia-smi */
  }
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.split('\n').filter((l) => l.startsWith('GPU '));
    if (lines.length > 0) return { usable: true, detail: lines.join('; ') };
    return { usable: false, detail: 'nvidia-smi lists no GPU' };
  } catch {
    return { usable: false, detail: 'no NVIDIA driver (no /proc/driver/nvidia, no nvidia-smi)' };
  }
}

function isInstalled(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

const optionalPeer = (name: string): string => name;

async function load(name: BackendName): Promise<void> {
  switch (name) {
    // Optional peers, often not installed: a specifier typed `string` keeps tsc from resolving them.
    case 'tensorflow-gpu':
      await import(optionalPeer('@tensorflow/tfjs-node-gpu'));
      break;
    case 'tensorflow':
      await import(optionalPeer('@tensorflow/tfjs-node'));
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      break;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
  }
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  const ok = await tf.setBackend(tfName);
  if (!ok || tf.getBackend() !== tfName)
    throw new SandtrapError('SANDTRAP_BACKEND_UNAVAILABLE', `tf.setBackend('${tfName}') failed; try another --backend (sandtrap doctor shows which load)`);
  await tf.ready();
  if (name === 'wasm') {
    routeWasmTransposedMatMul(tf);
    // tf.gather's gradient, for specs that embed by gather (arch/types.ts EMBED_GATHER_PARAM).
    registerWasmUnsortedSegmentSum(tf);
  }
}

function installHint(name: BackendName): string {
  const pkg = BACKEND_PACKAGES[name];
  const gpu = name === 'tensorflow-gpu' ? ' (Linux x64, CUDA 11.2, cuDNN 8.1)' : '';
  return `install it with: npm install ${pkg}@${TFJS_VERSION}${gpu}`;
}

/**
 * Pick and initialise the compute backend. `auto` tries tfjs-node-gpu (installed and a CUDA GPU
 * usable), tfjs-node, wasm, then the pure-JS cpu backend. A forced backend that cannot load is a
 * clear error with the install command. Idempotent: the first successful call wins.
 */
export async function initBackend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (active) {
    if (request === 'auto' || request === active.info.name) return active.info;
    if (!isInstalled(BACKEND_PACKAGES[request])) {
      throw new SandtrapError(
        'SANDTRAP_BACKEND_UNAVAILABLE',
        `--backend ${request}: ${BACKEND_PACKAGES[request]} is not installed; ${installHint(request)}, or use --backend auto`,
      );
    }
    throw new SandtrapError('SANDTRAP_BACKEND_UNAVAILABLE', `backend '${active.info.name}' is already initialised in this process; cannot switch to '${request}'`);
  }
  // The wasm backend logs a line about its threads; keep stdout clean for --json.
  tf.env().set('PROD', true);
  const gpu = detectCudaGpu();
  const candidates: BackendCandidate[] = [];
  const order = request === 'auto' ? BACKEND_NAMES : [request];

  for (const name of order) {
    const pkg = BACKEND_PACKAGES[name];
    if (!isInstalled(pkg)) {
      candidates.push({ name, available: false, reason: `${pkg} is not installed` });
      continue;
    }
    if (name === 'tensorflow-gpu' && !gpu.usable) {
      candidates.push({ name, available: false, reason: `${pkg} is installed but no CUDA GPU is usable: ${gpu.detail}` });
      continue;
    }
    try {
      await load(name);
      candidates.push({ name, available: true, reason: 'loaded' });
      const passed = candidates.filter((c) => !c.available).map((c) => c.reason);
      const why = request === 'auto' ? (passed.length ? `auto: ${passed.join('; ')}` : 'auto: the fastest backend on the list') : `forced by --backend/SANDTRAP_BACKEND`;
      const info: BackendInfo = {
        name,
        reason: `using ${name} (${pkg}) — ${why}`,
        requested: request,
        candidates,
        tfjsVersion: tf.version_core,
        gpu,
      };
      active = { info, tf };
      return info;
    } catch (e) {
      candidates.push({ name, available: false, reason: `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  if (request !== 'auto') {
    const c = candidates[0];
    throw new SandtrapError('SANDTRAP_BACKEND_UNAVAILABLE', `--backend ${request}: ${c?.reason ?? 'unavailable'}; ${installHint(request)}, or use --backend auto`);
  }
  throw new SandtrapError('SANDTRAP_BACKEND_UNAVAILABLE', `no TensorFlow.js backend could be loaded (${candidates.map((c) => c.reason).join('; ')}); reinstall with: npm install`);
}

export function machineInfo(): { cores: number; platform: string; arch: string; node: string } {
  return { cores: cpus().length, platform: process.platform, arch: process.arch, node: process.versions.node };
}
