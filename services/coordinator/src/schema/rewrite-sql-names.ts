// The lexical SQL name rewriter moved to @ferry/pg: the sink applies captured DDL with the same renames.
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
} from '@ferry/pg';
