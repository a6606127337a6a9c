/** A set that keeps only its `capacity` most recent entries, to remember what was seen without remembering it forever. */
export class RecentSet<T> {
  private readonly entries = new Set<T>();

  constructor(private readonly capacity: number) {}

  /** True the first time a value is added (and remembers it), false while it is still remembered. */
  add(value: T): boolean {
    if (this.entries.has(value)) return false;
    this.entries.add(value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return true;
  }

  has(value: T): boolean {
    return this.entries.has(value);
  }

  delete(value: T): boolean {
    return this.entries.delete(value);
  }

  clear(): void {
    this.entries.clear();
  }
}
