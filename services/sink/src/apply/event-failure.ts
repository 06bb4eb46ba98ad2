import { DataError, FerryError } from '@ferry/core';
import type { TextValue } from './row-event.js';

/** An event the destination refused (or that could not be decoded), found by applying event by event. */
export interface EventFailure {
  offset: bigint;
  /** Destination table ("schema.table"); null when the message could not be decoded. */
  table: string | null;
  /** The row's key columns (destination names); null without a key. Never other column values. */
  key: Record<string, TextValue> | null;
  /** What the destination or the decoder said, with quoted input values withheld. */
  reason: string;
  sqlstate?: string | undefined;
  constraint?: string | undefined;
}

/**
 * Events of one partition the destination refused. Thrown from inside the apply
 * transaction (which then rolls back); the sink retries the slice until the task's
 * retry window closes, then stops with this error or sets the events aside.
 */
export class UnappliableEventError extends DataError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly failures: readonly EventFailure[],
    final = false,
  ) {
    const first = failures[0]!;
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more event(s) of the same batch)` : '';
    super(`cannot apply ${describeFailure(topic, partition, first)}: ${first.reason}${more}`, {
      context: {
        topic,
        partition,
        offset: first.offset.toString(),
        ...(first.table ? { table: first.table } : {}),
        key: describeKey(first.key),
        ...(first.sqlstate ? { sqlstate: first.sqlstate } : {}),
        ...(first.constraint ? { constraint: first.constraint } : {}),
      },
      fix: final
        ? 'change the destination so it accepts the row (the constraint or column type named above) and start the sink again, or set sink.deadLetter.enabled to set such events aside'
        : 'the sink retries for retry.otherMinutes',
    });
  }
}

/** "the event at topic T partition P offset O (table public.items, key {"id":"7"})" */
export function describeFailure(topic: string, partition: number, failure: EventFailure): string {
  const where = failure.table === null ? 'an undecodable message' : `table ${failure.table}, key ${describeKey(failure.key)}`;
  return `the event at topic ${topic} partition ${partition} offset ${failure.offset} (${where})`;
}

export function describeKey(key: Record<string, TextValue> | null): string {
  return key === null ? '(none)' : JSON.stringify(key);
}

/**
 * Errors that belong to one event, so applying the others can still succeed: PostgreSQL's
 * data exceptions (22) and integrity violations (23), and events Ferry cannot decode or use.
 * A lost connection, a deadlock or a missing table is never one.
 */
export function isEventError(error: unknown): boolean {
  if (error instanceof UnappliableEventError) return false;
  if (error instanceof FerryError) return error instanceof DataError;
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && typeof severity === 'string' && /^2[23]/.test(code);
}

/** The failure as the sink reports it: the server's message, SQLSTATE and constraint, never the row (its `detail`). */
export function eventFailure(error: unknown, offset: bigint, table: string | null, key: Record<string, TextValue> | null): EventFailure {
  const pgError = serverError(error);
  const message = pgError?.message ?? (error instanceof Error ? error.message : String(error));
  return {
    offset,
    table,
    key,
    reason: withholdValues(message),
    sqlstate: pgError?.code ?? (error instanceof FerryError ? (error.context.sqlstate as string | undefined) : undefined),
    constraint: pgError?.constraint ?? (error instanceof FerryError ? (error.context.constraint as string | undefined) : undefined),
  };
}

/** The server error itself, unwrapped from a Ferry error if need be. */
function serverError(error: unknown): { message: string; code: string; constraint?: string } | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const { code, severity } = e as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && typeof severity === 'string') return e as unknown as { message: string; code: string; constraint?: string };
  }
  return undefined;
}

/** `invalid input syntax for type integer: "abc"` names the value; column values may be sensitive. */
function withholdValues(message: string): string {
  return message.replace(/: ".*"$/s, ': (value withheld)');
}
