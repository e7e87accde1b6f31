/**
 * Waiting for something keyed to change (a revision leaving PENDING): `wait` resolves at the next
 * `notify` of its key, or after `timeoutMs`, whichever comes first. The waiter the code needs instead
 * of polling the store.
 */
export class KeyedSignal {
  private readonly waiters = new Map<string, Set<() => void>>();

  wait(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
    });
  }

  notify(key: string): void {
    for (const done of [...(this.waiters.get(key) ?? [])]) done();
  }
}
