/**
 * Replication origin names of Ferry's sink sessions, shared by the sink (which takes them)
 * and capture (which skips them). A sink of task T tags its writes `ferry_<T>_<n>` (dashes
 * become underscores); the backflow task of T is named `T-backflow`, so its sink writes
 * `ferry_<T>_backflow_<n>`.
 */
export function sinkOriginPrefix(taskName: string): string {
  return `ferry_${taskName.replace(/-/g, '_')}`;
}

/** True for exactly the origins `<prefix>_<n>`: task "a" does not claim task "a_b"'s `ferry_a_b_0`. */
export function isOriginOf(prefix: string, origin: string): boolean {
  if (!origin.startsWith(`${prefix}_`)) return false;
  return /^[0-9]+$/.test(origin.slice(prefix.length + 1));
}

/**
 * Which replication origins a capture of `taskName` leaves out. By default every Ferry
 * origin: a forward sink's writes are not sent back by a backflow capture, nor a backflow
 * sink's writes forward again. With `forwardReplicated` (cascade A → B → C, where this
 * task reads B) the writes another task's sink applied are carried on; only this task's
 * own backflow writes are skipped, which would otherwise echo straight back.
 */
export function skippedOrigins(taskName: string, forwardReplicated: boolean): (origin: string) => boolean {
  if (!forwardReplicated) return (origin) => origin.startsWith('ferry');
  const backflow = sinkOriginPrefix(`${taskName}-backflow`);
  return (origin) => isOriginOf(backflow, origin);
}
