/**
 * Runs tasks one after another per key (a call's steps, a call's record writes), tasks of other
 * keys alongside. A task that fails does not stop the ones queued behind it.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Resolves when everything queued so far has run. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}
