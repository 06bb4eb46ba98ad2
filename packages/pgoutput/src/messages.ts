import type { Lsn } from '@ferry/core';

/**
 * The messages of PostgreSQL's pgoutput plugin, protocol versions 1–4 (PostgreSQL 10–18),
 * as described in "Logical Replication Message Formats". Keyed by `tag`.
 *
 * Times are microseconds since 2000-01-01 UTC, kept exact (see pg-epoch.ts).
 * `xid` on data messages is set only inside a streamed transaction (between Stream
 * Start and Stream Stop, protocol 2+), and null otherwise.
 */
export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalDecodingMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage;

export type PgoutputTag = PgoutputMessage['tag'];

/** Marks a TOASTed column that an UPDATE did not change: its value was not sent. */
export interface UnchangedToast {
  readonly kind: 'unchanged-toast';
}

export const UNCHANGED_TOAST: UnchangedToast = Object.freeze({ kind: 'unchanged-toast' });

export function isUnchangedToast(value: unknown): value is UnchangedToast {
  return value === UNCHANGED_TOAST;
}

/**
 * One column of a tuple: PostgreSQL's text form (never parsed: numeric 'NaN', float '-0',
 * timestamps stay exactly as the server printed them), null, the unchanged-TOAST marker,
 * or raw bytes when the binary option was requested.
 */
export type ColumnValue = string | null | UnchangedToast | Uint8Array;

/** Column values in the order of the relation's columns. */
export type TupleData = ColumnValue[];

export interface BeginMessage {
  tag: 'begin';
  /** LSN of the commit record; equals the Commit message's `commitLsn`. */
  finalLsn: Lsn;
  commitTime: bigint;
  xid: number;
}

export interface CommitMessage {
  tag: 'commit';
  flags: number;
  /** LSN of the commit record. */
  commitLsn: Lsn;
  /** End of the commit record: the position to confirm once the transaction is safe. */
  endLsn: Lsn;
  commitTime: bigint;
}

/** Sent after Begin when the transaction was replayed from another origin. */
export interface OriginMessage {
  tag: 'origin';
  /** Commit LSN on the origin server. */
  originLsn: Lsn;
  originName: string;
}

/** 'd' default (primary key), 'n' nothing, 'f' full, 'i' index. */
export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface RelationColumn {
  name: string;
  typeOid: number;
  /** Type modifier, -1 when none (e.g. varchar(10) has 14). */
  typeModifier: number;
  /**
   * Part of the replica identity. With REPLICA IDENTITY FULL every column is flagged,
   * so this is not a reliable primary-key marker: read the catalog for that.
   */
  isKey: boolean;
}

export interface RelationMessage {
  tag: 'relation';
  xid: number | null;
  relationId: number;
  schema: string;
  table: string;
  replicaIdentity: ReplicaIdentity;
  columns: RelationColumn[];
}

/** Describes a non-built-in type used by a published column (e.g. an enum). */
export interface TypeMessage {
  tag: 'type';
  xid: number | null;
  typeOid: number;
  schema: string;
  name: string;
}

export interface InsertMessage {
  tag: 'insert';
  xid: number | null;
  relationId: number;
  newTuple: TupleData;
}

/**
 * The old row of an UPDATE or DELETE: 'key' holds the replica identity columns (others
 * null), 'full' holds the whole row (REPLICA IDENTITY FULL).
 */
export interface OldTuple {
  identity: 'key' | 'full';
  values: TupleData;
}

export interface UpdateMessage {
  tag: 'update';
  xid: number | null;
  relationId: number;
  /** Null when the key did not change and the identity is not FULL. */
  oldTuple: OldTuple | null;
  newTuple: TupleData;
}

export interface DeleteMessage {
  tag: 'delete';
  xid: number | null;
  relationId: number;
  oldTuple: OldTuple;
}

export interface TruncateMessage {
  tag: 'truncate';
  xid: number | null;
  cascade: boolean;
  restartIdentity: boolean;
  relationIds: number[];
}

/** From pg_logical_emit_message() (sent only with `messages 'true'`, PostgreSQL 14+). */
export interface LogicalDecodingMessage {
  tag: 'message';
  xid: number | null;
  transactional: boolean;
  lsn: Lsn;
  prefix: string;
  content: Uint8Array;
}

export interface StreamStartMessage {
  tag: 'stream-start';
  xid: number;
  /** True for the first block of this transaction. */
  firstSegment: boolean;
}

export interface StreamStopMessage {
  tag: 'stream-stop';
}

export interface StreamCommitMessage {
  tag: 'stream-commit';
  xid: number;
  flags: number;
  commitLsn: Lsn;
  endLsn: Lsn;
  commitTime: bigint;
}

export interface StreamAbortMessage {
  tag: 'stream-abort';
  xid: number;
  /** Equals `xid` when the whole transaction aborted, else the aborted subtransaction. */
  subXid: number;
  /** Only with protocol 4 and streaming 'parallel'; null otherwise. */
  abortLsn: Lsn | null;
  abortTime: bigint | null;
}
