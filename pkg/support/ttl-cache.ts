/**
 * @module
 * A bounded map whose entries expire: each entry lives for the TTL it was stored with, and past
 * `maxEntries` the least recently used one goes first, so a stream of distinct keys (random bearer
 * tokens, say) can never grow it without limit. Time comes from the caller's clock.
 */

export interface TtlCacheOptions {
  maxEntries: number;
  now: () => number;
}

export class TtlCache<K, V> {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(o: TtlCacheOptions) {
    if (!Number.isInteger(o.maxEntries) || o.maxEntries < 1) throw new RangeError(`TtlCache maxEntries must be a whole number of at least 1, got ${o.maxEntries}`);
    this.#max = o.maxEntries;
    this.#now = o.now;
  }

  get(key: K): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    if (e.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
