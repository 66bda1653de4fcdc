import { SandtrapError } from '@sandtrap/core';
import { CI_METHODS, SANDBOX_REQUESTS, type CiMethod, type SandboxLayers, type SandboxRequest } from '@sandtrap/scoreboard';

/** Parse repeated `k=v` flags into numbers, naming the flag on a bad one. */
export function parseNumberParams(values: readonly string[] | undefined, flag: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kv of values ?? []) {
    const i = kv.indexOf('=');
    const k = kv.slice(0, i).trim();
    const v = Number(kv.slice(i + 1));
    if (i <= 0 || kv.slice(i + 1).trim() === '' || !Number.isFinite(v)) {
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${kv}: expected name=number (e.g. ${flag} p=11)`);
    }
    out[k] = v;
  }
  return out;
}

export function parseSeed(value: string | undefined, flag = '--seed'): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > 0x7fffffff) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${value}: expected an integer in [0, 2147483647]`);
  }
  return n;
}

export function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${value}: expected a positive integer`);
  return n;
}

/** `--memory`: a worker's heap limit in MB, at least 64 (as the config's `memoryMb`); below that no cell can even start. */
export function parseMemoryMb(value: string | undefined, fallback: number): number;
export function parseMemoryMb(value: string | undefined, fallback: number | undefined): number | undefined;
export function parseMemoryMb(value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 64) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--memory ${value}: expected a heap limit in MB, an integer ≥ 64 (default 2048)`);
  return n;
}

/** `--ci`: one of the scoreboard's interval methods. */
export function parseCiMethod(value: string): CiMethod {
  const m = value.trim();
  if (!(CI_METHODS as readonly string[]).includes(m)) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--ci ${value}: expected one of ${CI_METHODS.join(', ')} (docs/reference/metrics.md)`);
  }
  return m as CiMethod;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--sandbox`: auto (bwrap when it works here), bwrap (required) or node (Node's permission model alone). */
export function parseSandbox(value: string | undefined): SandboxRequest | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!(SANDBOX_REQUESTS as readonly string[]).includes(v))
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--sandbox ${value}: expected ${SANDBOX_REQUESTS.join(', ')} (default auto: bwrap when it works here)`);
  return v as SandboxRequest;
}

/** One line on how detectors are confined, for progress output. */
export function sandboxLine(l: SandboxLayers): string {
  const layers = [...(l.os ? [l.os] : []), ...(l.nodePermission ? ['node --permission'] : []), 'env allow-list'].join(' + ');
  const proc = l.freshProcess === undefined ? '' : l.freshProcess ? ', a fresh process per cell' : ', a process per detector';
  return `sandbox: ${layers}${proc}${l.missing.length ? ` — missing: ${l.missing.join('; ')} (${l.osReason})` : ''}`;
}
