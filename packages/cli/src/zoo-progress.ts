import cliProgress from 'cli-progress';
import type { ZooEvent } from '@sandtrap/core';
import type { IO } from './io.js';

/**
 * The zoo build display: on a TTY, one bar for the whole build and one per worker (cli-progress
 * MultiBar); otherwise a plain line per finished organism plus a line per 25% of each phase.
 */
export function zooProgress(io: IO, quiet: boolean | undefined): { onEvent: (e: ZooEvent) => void; stop: () => void } {
  if (quiet) return { onEvent() {}, stop() {} };
  const tty = Boolean(io.stderr.isTTY) && !io.env.CI;
  if (tty) {
    const multi = new cliProgress.MultiBar(
      { stream: io.stderr as NodeJS.WritableStream, format: '{bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: false, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    let overall: cliProgress.SingleBar | undefined;
    const bars = new Map<number, cliProgress.SingleBar>();
    let done = 0;
    return {
      onEvent(e) {
        if (e.type === 'plan') {
          done = e.done;
          overall = multi.create(e.total, e.done, { label: `organisms (${e.done} already built, ${e.workers} workers)` });
        } else if (e.type === 'progress') {
          let b = bars.get(e.worker);
          if (!b) bars.set(e.worker, (b = multi.create(e.steps, e.step, { label: '' })));
          b.setTotal(e.steps);
          b.update(e.step, { label: `worker ${e.worker + 1}: ${e.label} loss ${e.loss.toFixed(3)}` });
        } else {
          done++;
          overall?.update(done, { label: `organisms — last: ${e.label} ${e.admitted ? 'admitted' : 'REJECTED'} (${e.seconds.toFixed(1)} s)` });
        }
      },
      stop: () => multi.stop(),
    };
  }
  const seen = new Map<string, number>();
  let done = 0;
  let total = 0;
  return {
    onEvent(e) {
      if (e.type === 'plan') {
        done = e.done;
        total = e.total;
        io.stderr.write(`zoo build: ${e.total} organisms, ${e.done} already built, ${e.todo} to train on ${e.workers} worker(s)\n`);
      } else if (e.type === 'progress') {
        const q = Math.floor((e.step / e.steps) * 4);
        const key = `${e.job}:${e.label}`;
        if (seen.get(key) === q) return;
        seen.set(key, q);
        if (q > 0 && q < 4) io.stderr.write(`  [w${e.worker + 1}] ${e.label} ${e.step}/${e.steps} loss ${e.loss.toFixed(4)}\n`);
      } else {
        done++;
        io.stderr.write(
          `[${done}/${total}] ${e.label}: ${e.admitted ? 'admitted' : 'REJECTED (gates failed on every seed)'} in ${e.seconds.toFixed(1)} s${e.admitted && e.seed !== undefined ? ` (seed ${e.seed})` : ''}\n`,
        );
      }
    },
    stop() {},
  };
}
