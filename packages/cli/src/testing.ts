import { run, type IO } from './index.js';

/** Run the CLI in-process, as the tests do: capture stdout/stderr, return the exit code. */
export async function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: IO = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await run(args, io);
  return { code, out, err };
}
