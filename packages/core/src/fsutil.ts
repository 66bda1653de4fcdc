import { mkdir, rename, writeFile, rm, access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SandtrapError } from './errors.js';

/** Write a file so that a reader sees the old content or the new, never half of it. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, mode === undefined ? {} : { mode });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Create `dir` (and parents) and prove it is writable, or fail with one clear line. */
export async function ensureWritableDir(dir: string, flag = '--out'): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.sandtrap-write-probe.${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const isFile = await stat(dir).then(
      (s) => !s.isDirectory(),
      () => false,
    );
    if (isFile) throw new SandtrapError('SANDTRAP_OUT_NOT_WRITABLE', `${flag} ${dir} is a file; give a directory`, { cause: e });
    throw new SandtrapError('SANDTRAP_OUT_NOT_WRITABLE', `${flag} ${dir}: cannot write there (${why}); choose a directory you can write to`, { cause: e });
  }
}

/** Does `p` exist (file or folder)? */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
