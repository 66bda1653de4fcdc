import cliProgress from 'cli-progress';
import type { IO } from './io.js';

export interface Progress {
  update(label: string, done: number, total: number, detail: string): void;
  log(line: string): void;
  stop(): void;
}

/**
 * A bar on a TTY (cli-progress: redraws in place, handles terminal width), plain lines otherwise
 * (CI logs), nothing with --quiet. Always on stderr, so `--json` stdout stays pure JSON.
 */
export function createProgress(io: IO, opts: { quiet?: boolean }): Progress {
  if (opts.quiet) return { update() {}, log() {}, stop() {} };
  const tty = Boolean(io.stderr.isTTY) && !io.env.CI;
  if (tty) {
    const color = !io.env.NO_COLOR;
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr as NodeJS.WritableStream,
        format: `${color ? '\u001b[36m{bar}\u001b[0m' : '{bar}'} {percentage}% | {label} {value}/{total} | {detail}`,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(label, done, total, detail) {
        if (!started) {
          bar.start(total, done, { label, detail });
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done, { label, detail });
        }
      },
      log(line) {
        if (started) bar.stop();
        started = false;
        io.stderr.write(`${line}\n`);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastKey = '';
  return {
    update(label, done, total, detail) {
      // One line per ~10% of a phase: enough to see it move, few enough for a CI log.
      const bucket = Math.floor((done / Math.max(total, 1)) * 10);
      const key = `${label}:${bucket}`;
      if (key === lastKey) return;
      lastKey = key;
      io.stderr.write(`${label} ${done}/${total} ${detail}\n`);
    },
    log(line) {
      io.stderr.write(`${line}\n`);
    },
    stop() {},
  };
}
