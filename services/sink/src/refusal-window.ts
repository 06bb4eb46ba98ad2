/**
 * When each refused event was first refused. An event is given up on (set aside as a
 * dead letter, or the sink stops) only once it has been refused for the whole retry
 * window (retry.otherMinutes), so a destination fixed in the meantime loses nothing.
 * In memory: a restarted sink gives every event a new window.
 */
export class RefusalWindow {
  private readonly firstRefused = new Map<string, Map<bigint, number>>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes a refusal (the first one starts the event's window). */
  refused(topic: string, partition: number, offset: bigint): void {
    const key = `${topic}:${partition}`;
    let events = this.firstRefused.get(key);
    if (!events) this.firstRefused.set(key, (events = new Map()));
    if (!events.has(offset)) events.set(offset, this.now());
  }

  /** True once the event has been refused for at least the window. */
  expired(topic: string, partition: number, offset: bigint): boolean {
    const first = this.firstRefused.get(`${topic}:${partition}`)?.get(offset);
    return first !== undefined && this.now() - first >= this.windowMs;
  }

  /** How long until the event's window closes (0 when it has). */
  remainingMs(topic: string, partition: number, offset: bigint): number {
    const first = this.firstRefused.get(`${topic}:${partition}`)?.get(offset);
    return first === undefined ? this.windowMs : Math.max(0, first + this.windowMs - this.now());
  }

  /** The partition is past these offsets (applied or set aside): forget them. */
  settled(topic: string, partition: number, nextOffset: bigint): void {
    const events = this.firstRefused.get(`${topic}:${partition}`);
    if (!events) return;
    for (const offset of events.keys()) if (offset < nextOffset) events.delete(offset);
    if (events.size === 0) this.firstRefused.delete(`${topic}:${partition}`);
  }
}
