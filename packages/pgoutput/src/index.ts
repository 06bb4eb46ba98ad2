export { decodeAt, PgoutputDecoder, type PgoutputDecoderOptions } from './decoder.js';
export {
  UNCHANGED_TOAST,
  isUnchangedToast,
  type PgoutputMessage,
  type PgoutputTag,
  type UnchangedToast,
  type ColumnValue,
  type TupleData,
  type OldTuple,
  type ReplicaIdentity,
  type RelationColumn,
  type BeginMessage,
  type CommitMessage,
  type OriginMessage,
  type RelationMessage,
  type TypeMessage,
  type InsertMessage,
  type UpdateMessage,
  type DeleteMessage,
  type TruncateMessage,
  type LogicalDecodingMessage,
  type StreamStartMessage,
  type StreamStopMessage,
  type StreamCommitMessage,
  type StreamAbortMessage,
} from './messages.js';
export {
  decodeReplicationFrame,
  encodeStandbyStatus,
  type ReplicationFrame,
  type XLogDataFrame,
  type KeepaliveFrame,
  type StandbyStatus,
} from './replication-frame.js';
export { RelationCache, type NamedRow, type RowChange } from './relation-cache.js';
export { pgMicrosToEpochMs, epochMsToPgMicros } from './pg-epoch.js';
export { protocolVersionFor, supportsStreaming, supportsLogicalMessages } from './replication-commands.js';
export { replicationError } from './replication-errors.js';
export {
  ReplicationConnection,
  type ReplicationConnectionOptions,
  type SystemIdentity,
  type CreateSlotOptions,
  type CreatedSlot,
  type StartReplicationOptions,
} from './replication-connection.js';
export {
  ReplicationStream,
  type ReplicationEvent,
  type ReplicationStreamSettings,
  type ReplicationStreamStats,
} from './replication-stream.js';
