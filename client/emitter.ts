type Listener<T> = (value: T) => void;

/** A minimal typed event emitter; a listener that throws does not stop the others or the client. */
export class Emitter<Events extends object> {
  private readonly listeners: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const set = (this.listeners[type] ??= new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const listener of [...(this.listeners[type] ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        // Reported as an uncaught error, as an EventTarget reports a throwing listener.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
