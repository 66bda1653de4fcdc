// A worker for pool.test.ts: each payload names the failure to produce.
import { SandtrapError } from './errors.js';
import { serveTasks } from './pool.js';

serveTasks(async (payload) => {
  const { kind } = payload as { kind: string };
  if (kind === 'coded') throw new SandtrapError('SANDTRAP_SPEC_INVALID', 'spec.json: /tasks: must be array', { exitCode: 2 });
  if (kind === 'node') throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  if (kind === 'hang') await new Promise(() => {});
  if (kind === 'exit') process.exit(3);
  return { ok: kind };
});
