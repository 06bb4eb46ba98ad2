export { quoteIdent, quoteIdentList, quoteLiteral, quoteQualified } from './quote.js';
export { redactUrl } from './redact-url.js';
export {
  SESSION_SETTINGS,
  rawTextTypes,
  openClient,
  createPool,
  clientConfig,
  startupOptionsText,
  PgPool,
  type ConnectOptions,
  type PoolOptions,
} from './connect.js';
export { classifyPgError, type ClassifyOptions, type PgRole } from './sqlstate.js';
export {
  parseCopyLine,
  formatCopyRow,
  formatCopyValue,
  CopyTextSplitter,
  splitCopyText,
  type CopyRow,
} from './copy-text.js';
export { inlineParameters, type SqlValue } from './inline-parameters.js';
export { isPgTrue, queryTextRows, type TextRow } from './text-query.js';
export {
  listTables,
  serverVersion,
  currentLsn,
  EXCLUDED_SCHEMAS,
  type ServerVersion,
  type TypeKind,
  type ColumnInfo,
  type KeyIndex,
  type ReplicaIdentity,
  type TableInfo,
  type ListTablesOptions,
} from './catalog.js';
export {
  chooseOrderedKey,
  findKeyBoundaries,
  keyRangesFromBoundaries,
  planKeyRanges,
  keyBoundaryStepSql,
  keyRangeWhere,
  pageRanges,
  pageRangeWhere,
  planPageRanges,
  type SqlFragment,
  type KeyColumn,
  type KeyRange,
  type PageRange,
} from './ordered-key-ranges.js';
export { copyOut, copyOutBatches, copyIn } from './copy-out.js';
export {
  parseQualifiedName,
  rewriteSqlNames,
  tokenizeSql,
  type NameContext,
  type NameReference,
  type NameRewrite,
  type NameRewriter,
  type RewriteOptions,
  type Token,
  type TokenKind,
} from './rewrite-sql-names.js';
