// Repeats of an Event become one Event whose count grows, as client-go's recorder does (its EventCorrelator keeps a
// bounded cache of what it sent and patches count/lastTimestamp instead of creating another): a retry loop (a
// failing eviction, a refused restore) then costs one Event object, not one per attempt. Keyed by object, type,
// reason and message (client-go's dedup); a retry's messages differ only in attempt numbers, so the caller marks
// those as a series and leaves the message out of the key: the Event shows the latest one. Distinct occurrences
// (a rollout's MemberStarted for each member) stay distinct Events.

export interface SentEvent {
  /** metadata.name of the Event object. */
  name: string;
  count: number;
  lastMs: number;
}

export class EventSeries {
  private readonly sent = new Map<string, SentEvent>();

  constructor(
    /** Repeats within this window join the series; a later one starts a new Event. client-go: 10 minutes. */
    private readonly windowMs = 10 * 60_000,
    /** Bounded like client-go's LRU (4096 entries): the oldest series are forgotten first. */
    private readonly maxEntries = 4096,
  ) {}

  /** `message` undefined: a series, whatever the message. */
  static key(uid: string | undefined, type: string, reason: string, message?: string): string {
    return `${uid ?? ''}/${type}/${reason}${message === undefined ? '' : `/${message}`}`;
  }

  /** The Event to patch for a repeat at `nowMs`, if one was sent within the window. */
  current(key: string, nowMs: number): SentEvent | undefined {
    const e = this.sent.get(key);
    if (!e) return undefined;
    if (nowMs - e.lastMs > this.windowMs) {
      this.sent.delete(key);
      return undefined;
    }
    return e;
  }

  /** Records a sent Event (created, or patched with a higher count). */
  record(key: string, e: SentEvent): void {
    this.sent.delete(key); // re-insert: Map order is the LRU order
    this.sent.set(key, e);
    while (this.sent.size > this.maxEntries) this.sent.delete(this.sent.keys().next().value!);
  }

  forget(key: string): void {
    this.sent.delete(key);
  }

  get size(): number {
    return this.sent.size;
  }
}
