/**
 * A fixed number of slots (the run's worker count) shared by every detector of a scoreboard run,
 * so the run keeps every core busy across detectors: while one detector's configure() runs on a
 * core, or its last cells finish, the next detector's work fills the others. A task waits for a
 * free slot; among waiting tasks the lowest priority number (the detector's place in the config)
 * goes first, ties in arrival order, so the cells still finish roughly detector by detector and
 * few worker processes are alive at once.
 *
 * Hand-written rather than p-queue: p-queue 10 needs Node 22 (sandtrap supports 20), and the
 * whole of what is needed here is this priority semaphore.
 */
export class Slots {
  private free: number;
  private readonly waiting: { priority: number; seq: number; start: () => void }[] = [];
  private seq = 0;

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`slots: size must be an integer >= 1, got ${size}`);
    this.free = size;
  }

  /** Run `fn` once a slot is free (lowest `priority` first); the slot is freed when it settles. */
  async run<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    if (this.free > 0 && this.waiting.length === 0) this.free--;
    else
      await new Promise<void>((start) => {
        const w = { priority, seq: this.seq++, start };
        const at = this.waiting.findIndex((x) => x.priority > priority);
        if (at < 0) this.waiting.push(w);
        else this.waiting.splice(at, 0, w);
      });
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else this.free++;
    }
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.waiting.length;
  }
}
