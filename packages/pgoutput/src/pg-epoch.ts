/**
 * PostgreSQL sends times as microseconds since 2000-01-01 00:00:00 UTC. We keep those
 * exact as bigint and convert only when a caller needs JavaScript milliseconds.
 */
const PG_EPOCH_MS = 946_684_800_000n;

/** Milliseconds since 1970-01-01 (rounded down), e.g. for `new Date(ms)` or `tsMs` fields. */
export function pgMicrosToEpochMs(micros: bigint): number {
  const ms = micros / 1000n;
  // bigint division truncates toward zero; times before 2000 must round down too.
  const floored = micros < 0n && ms * 1000n !== micros ? ms - 1n : ms;
  return Number(floored + PG_EPOCH_MS);
}

/** The PostgreSQL form of a JavaScript time (milliseconds since 1970), e.g. for status updates. */
export function epochMsToPgMicros(epochMs: number): bigint {
  return (BigInt(Math.floor(epochMs)) - PG_EPOCH_MS) * 1000n;
}
