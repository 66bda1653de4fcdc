import { SandtrapError, unknownName } from '../errors.js';
import { mlp } from './mlp.js';
import { transformer } from './transformer.js';
import type { Architecture } from './types.js';

export * from './types.js';
export { mlp } from './mlp.js';
export { transformer } from './transformer.js';

export const ARCHITECTURES: Record<string, Architecture> = { mlp, transformer };
export const ARCH_NAMES = Object.keys(ARCHITECTURES);

export function getArchitecture(name: string): Architecture {
  const a = ARCHITECTURES[name];
  if (!a) throw unknownName('architecture', name, ARCH_NAMES);
  return a;
}

/** Fill in defaults and check bounds. */
export function resolveArchParams(name: string, params: Record<string, number> = {}): Record<string, number> {
  const a = getArchitecture(name);
  const full = { ...a.defaults };
  for (const [k, v] of Object.entries(params)) {
    const b = a.bounds[k];
    if (!b) throw new SandtrapError('SANDTRAP_UNKNOWN_NAME', `architecture ${name}: unknown parameter '${k}'; parameters: ${Object.keys(a.bounds).join(', ')}`);
    if (!Number.isInteger(v) || v < b[0] || v > b[1]) {
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `architecture ${name}: parameter ${k} must be an integer in [${b[0]}, ${b[1]}], got ${v}`);
    }
    full[k] = v;
  }
  return full;
}
