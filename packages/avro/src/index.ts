export {
  avroTypeForColumn,
  tableAvroSchemas,
  PG_TYPE_OID,
  type PgColumn,
  type TableAvroSchemas,
  type TableAvroSchemasInput,
} from './pg-to-avro.js';
export {
  columnValueCodec,
  type AvroColumnValue,
  type ColumnAvroType,
  type ColumnValueCodec,
} from './column-value-codec.js';
export { RowConverter, type AvroRow, type PgText } from './row-converter.js';
export { formatFloat4, formatFloat8 } from './pg-float-text.js';
export { avroFieldNames, avroNamespace, isValidAvroName, sanitizeAvroName } from './avro-names.js';
export {
  changeEventSchema,
  snapshotChunkSchema,
  transactionBoundarySchema,
  heartbeatSchema,
  rowSchemaOf,
  OPERATIONS,
  type Operation,
  type SourceInfo,
  type TransactionInfo,
  type ChangeEvent,
  type ChunkInfo,
  type SnapshotChunk,
  type TransactionStatus,
  type TableEventCount,
  type TransactionBoundary,
  type Heartbeat,
} from './envelopes.js';
export {
  MAGIC_BYTE,
  WIRE_HEADER_LENGTH,
  encodeWireFormat,
  decodeWireFormat,
  readSchemaId,
  writeWireHeader,
} from './wire-format.js';
export {
  SchemaRegistryClient,
  keySubject,
  valueSubject,
  type SchemaRegistryOptions,
  type RegisteredVersion,
} from './registry.js';
export { SchemaIncompatibleError } from './schema-incompatibility.js';
export { AvroCodec, type SchemaWriter, type DecodedMessage, type ReaderSchema } from './codec.js';
export { compileAvroType } from './compile-avro-type.js';
export { evolveRecordSchema } from './schema-evolution.js';
export {
  DDL_EVENT_HEADER,
  ddlEventRecord,
  ddlEventSchema,
  decodeDdlEventHeader,
  encodeDdlEventHeader,
  type ColumnDefinition,
  type ConstraintDefinition,
  type DdlAction,
  type DdlEvent,
  type ColumnRename,
  type DdlEventRecord,
  type DroppedObject,
  type IndexDefinition,
  type TableDefinition,
} from './ddl-event.js';
export { bigintLongType } from './bigint-long-type.js';
export {
  fullName,
  type AvroSchema,
  type AvroPrimitive,
  type AvroRecordSchema,
  type AvroArraySchema,
  type AvroField,
} from './avro-schema.js';
