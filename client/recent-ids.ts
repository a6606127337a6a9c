/** The last `capacity` ids seen, to drop a message delivered twice without remembering every id forever. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 2_000) {}

  /** True the first time an id is seen (and remembers it), false after. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (oldest.done !== true) this.ids.delete(oldest.value);
    }
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
