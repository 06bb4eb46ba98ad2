import { quoteIdent, quoteLiteral } from './quote.js';
import { blockCommentEnd, dollarQuoteEnd, quotedEnd } from './sql-tokens.js';

/**
 * Renames objects inside SQL text that PostgreSQL deparsed for us (pg_get_expr,
 * pg_get_viewdef, pg_get_functiondef headers, format_type, ...). It walks the
 * text token by token, so string literals, dollar-quoted bodies and comments are
 * never touched, and hands every dotted name it finds to a callback together with
 * where the name stands (a column, a function call, a type, ...). The callback
 * decides; this file only knows SQL's lexical rules.
 *
 * Deparsed SQL writes keywords in capitals and quotes any identifier that is not
 * plain lower case, which is what lets a callback tell `AND` from a column `and`.
 */

export type NameContext =
  /** A column, a relation, or a qualified reference to either. */
  | 'plain'
  /** Followed by "(": a function call (or a relation with a column list). */
  | 'function'
  /** After "::", including the further words of `character varying` or `time with time zone`. */
  | 'type'
  /** After COLLATE. */
  | 'collation'
  /** `OPERATOR(schema.+)`: parts is only [schema]. */
  | 'operator'
  /** After "." that follows ")" or "]": a field of a composite value. */
  | 'field'
  /** Before "=>": the name of a function argument. */
  | 'argument-name'
  /** The first word inside EXTRACT( ... ): a date field, not a column. */
  | 'keyword-argument'
  /** The text of a 'schema.name'::regclass (regproc, regtype) literal. */
  | 'literal';

export interface NameReference {
  /** The chain's identifiers as PostgreSQL reads them: quoted ones exactly, unquoted ones folded to lower case. */
  parts: string[];
  context: NameContext;
  /** One unquoted word with a capital letter (deparsed SQL writes keywords so), or the literal true/false: never a name. */
  keywordLike: boolean;
  /** An identifier follows the name (a relation alias in FROM, or a word after a type). */
  followedByIdentifier: boolean;
}

export interface NameRewrite {
  /** The new chain; every part is quoted on output. */
  parts: string[];
  /** Appended as ` "alias"` after the name (keeps column references valid when a relation is renamed). */
  alias?: string;
}

export type NameRewriter = (reference: NameReference) => NameRewrite | undefined;

export interface RewriteOptions {
  /** Collapse every run of whitespace and comments outside literals into one space (for comparing SQL). */
  collapseWhitespace?: boolean;
}

/** Rewrites the names in `sql` that `rewrite` answers for; everything else is kept byte for byte. */
export function rewriteSqlNames(sql: string, rewrite: NameRewriter, options: RewriteOptions = {}): string {
  const tokens = tokenizeSql(sql);
  const out: string[] = [];
  let typeTail = false;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.kind === 'space' || token.kind === 'comment') {
      if (!options.collapseWhitespace) out.push(token.text);
      else if (out[out.length - 1] !== ' ') out.push(' ');
      i += 1;
      continue;
    }
    if (token.kind === 'string') {
      const literal = rewriteNameLiteral(tokens, i, rewrite);
      out.push(literal ?? token.text);
      typeTail = false;
      i += 1;
      continue;
    }
    if (token.kind !== 'ident' && token.kind !== 'qident') {
      if (!(typeTail && isTypeTailPunctuation(token))) typeTail = false;
      out.push(token.text);
      i += 1;
      continue;
    }

    const chain = readChain(tokens, i);
    const previous = significantBefore(tokens, i);
    const beforePrevious = previous === undefined ? undefined : significantBefore(tokens, previous);
    const next = significantAfter(tokens, chain.end);
    const prevToken = previous === undefined ? undefined : tokens[previous];
    const context = chainContext(chain, prevToken, beforePrevious === undefined ? undefined : tokens[beforePrevious], next === undefined ? undefined : tokens[next], typeTail);
    typeTail = context === 'type';
    const nextToken = next === undefined ? undefined : tokens[next];
    const reference: NameReference = {
      parts: chain.parts,
      context,
      keywordLike: chain.parts.length === 1 && token.kind === 'ident' && (/[A-Z]/.test(token.text) || LOWER_CASE_LITERALS.has(token.text)),
      followedByIdentifier: nextToken !== undefined && isIdentifierToken(nextToken) && (nextToken.kind === 'qident' || !/[A-Z]/.test(nextToken.text)),
    };
    const replacement = rewrite(reference);
    if (replacement) {
      out.push(replacement.parts.map(quoteIdent).join('.'));
      if (chain.operatorSchema) out.push('.');
      if (replacement.alias !== undefined) out.push(` ${quoteIdent(replacement.alias)}`);
    } else {
      out.push(tokens.slice(i, chain.end).map((t) => t.text).join(''));
    }
    i = chain.end;
  }
  return out.join('');
}

// ---------------------------------------------------------------------------
// Chains and their context

interface Chain {
  parts: string[];
  /** Index of the first token after the chain. */
  end: number;
  /** `schema.` followed by an operator: OPERATOR(schema.+). */
  operatorSchema: boolean;
}

function readChain(tokens: Token[], start: number): Chain {
  const parts = [identifierValue(tokens[start]!)];
  let end = start + 1;
  while (tokens[end]?.text === '.' && tokens[end]?.kind === 'punct') {
    const after = tokens[end + 1];
    if (after && isIdentifierToken(after)) {
      parts.push(identifierValue(after));
      end += 2;
      continue;
    }
    if (after?.kind === 'op' && after.text !== '*' && parts.length === 1) {
      // OPERATOR(schema.===): the chain is the schema; the operator stays as written.
      return { parts, end: end + 1, operatorSchema: true };
    }
    break;
  }
  return { parts, end, operatorSchema: false };
}

function chainContext(chain: Chain, previous: Token | undefined, beforePrevious: Token | undefined, next: Token | undefined, typeTail: boolean): NameContext {
  if (chain.operatorSchema) return 'operator';
  if (previous?.kind === 'punct' && previous.text === '.') return 'field';
  if (previous?.kind === 'punct' && previous.text === '::') return 'type';
  if (typeTail && chain.parts.length === 1 && TYPE_TAIL_WORDS.has(chain.parts[0]!)) return 'type';
  if (previous?.kind === 'ident' && previous.text.toUpperCase() === 'COLLATE') return 'collation';
  if (previous?.text === '(' && beforePrevious?.kind === 'ident' && beforePrevious.text.toUpperCase() === 'EXTRACT') return 'keyword-argument';
  if (next?.kind === 'op' && next.text === '=>') return 'argument-name';
  if (next?.kind === 'punct' && next.text === '(') return 'function';
  return 'plain';
}

/** Keywords deparsed SQL writes in lower case; a column of that name would be quoted. */
const LOWER_CASE_LITERALS = new Set(['true', 'false']);

/** Words that continue a type name after "::": character varying, double precision, time with time zone. */
const TYPE_TAIL_WORDS = new Set(['varying', 'precision', 'with', 'without', 'time', 'zone']);

function isTypeTailPunctuation(token: Token): boolean {
  return (token.kind === 'punct' && ['(', ')', '[', ']', ','].includes(token.text)) || token.kind === 'number';
}

/** 'schema.name'::regclass and friends: the literal is a name PostgreSQL resolves at run time. */
function rewriteNameLiteral(tokens: Token[], index: number, rewrite: NameRewriter): string | undefined {
  const token = tokens[index]!;
  if (!token.text.startsWith("'")) return undefined; // E'', B'', X'' literals are never names
  const cast = tokens[index + 1];
  const typeName = tokens[index + 2];
  if (cast?.text !== '::' || !typeName || typeName.kind !== 'ident') return undefined;
  if (!NAME_LITERAL_TYPES.has(typeName.text.toLowerCase())) return undefined;
  const parts = parseQualifiedName(token.text.slice(1, -1).replaceAll("''", "'"));
  if (!parts) return undefined;
  const replacement = rewrite({ parts, context: 'literal', keywordLike: false, followedByIdentifier: false });
  return replacement ? quoteLiteral(replacement.parts.map(quoteIdent).join('.')) : undefined;
}

const NAME_LITERAL_TYPES = new Set(['regclass', 'regproc', 'regtype', 'regnamespace']);

/** `a.b`, `"A b".c`: the identifiers of a dotted name, or undefined when the text is anything else. */
export function parseQualifiedName(text: string): string[] | undefined {
  const tokens = tokenizeSql(text);
  const parts: string[] = [];
  let expectName = true;
  for (const token of tokens) {
    if (expectName && isIdentifierToken(token)) {
      parts.push(identifierValue(token));
      expectName = false;
    } else if (!expectName && token.kind === 'punct' && token.text === '.') {
      expectName = true;
    } else {
      return undefined;
    }
  }
  return parts.length > 0 && !expectName ? parts : undefined;
}

function significantBefore(tokens: Token[], index: number): number | undefined {
  for (let i = index - 1; i >= 0; i -= 1) {
    const kind = tokens[i]!.kind;
    if (kind !== 'space' && kind !== 'comment') return i;
  }
  return undefined;
}

function significantAfter(tokens: Token[], index: number): number | undefined {
  for (let i = index; i < tokens.length; i += 1) {
    const kind = tokens[i]!.kind;
    if (kind !== 'space' && kind !== 'comment') return i;
  }
  return undefined;
}

function isIdentifierToken(token: Token): boolean {
  return token.kind === 'ident' || token.kind === 'qident';
}

/** PostgreSQL folds unquoted identifiers to lower case (ASCII letters only) and keeps quoted ones. */
function identifierValue(token: Token): string {
  if (token.kind === 'qident') return token.text.slice(1, -1).replaceAll('""', '"');
  return token.text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

// ---------------------------------------------------------------------------
// Tokenizer (SQL lexical rules only; no grammar)

export type TokenKind = 'space' | 'comment' | 'string' | 'dollar' | 'qident' | 'ident' | 'number' | 'param' | 'op' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?';

export function tokenizeSql(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      let end = i + 1;
      while (end < sql.length && /\s/.test(sql[end]!)) end += 1;
      push('space', end);
    } else if (ch === '-' && next === '-') {
      const newline = sql.indexOf('\n', i);
      push('comment', newline < 0 ? sql.length : newline);
    } else if (ch === '/' && next === '*') {
      push('comment', blockCommentEnd(sql, i) ?? sql.length);
    } else if (ch === "'") {
      push('string', quotedEnd(sql, i, "'", false) ?? sql.length);
    } else if (/[EeBbXxNn]/.test(ch) && next === "'" && !continuesIdentifier(sql, i)) {
      push('string', quotedEnd(sql, i + 1, "'", ch === 'E' || ch === 'e') ?? sql.length);
    } else if (ch === '"') {
      push('qident', quotedEnd(sql, i, '"', false) ?? sql.length);
    } else if (ch === '$' && next !== undefined && /\d/.test(next)) {
      let end = i + 1;
      while (end < sql.length && /\d/.test(sql[end]!)) end += 1;
      push('param', end);
    } else if (ch === '$') {
      push('dollar', dollarQuoteEnd(sql, i).end ?? sql.length);
    } else if (IDENT_START.test(ch)) {
      let end = i + 1;
      while (end < sql.length && IDENT_PART.test(sql[end]!)) end += 1;
      push('ident', end);
    } else if (/\d/.test(ch) || (ch === '.' && next !== undefined && /\d/.test(next))) {
      const match = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      push('number', i + match[0].length);
    } else if (ch === ':' && next === ':') {
      push('punct', i + 2);
    } else if (OPERATOR_CHARS.includes(ch)) {
      let end = i + 1;
      while (end < sql.length && OPERATOR_CHARS.includes(sql[end]!) && !startsComment(sql, end)) end += 1;
      push('op', end);
    } else {
      push('punct', i + 1);
    }
  }
  return tokens;
}

function continuesIdentifier(sql: string, index: number): boolean {
  return index > 0 && IDENT_PART.test(sql[index - 1]!);
}

function startsComment(sql: string, index: number): boolean {
  const two = sql.slice(index, index + 2);
  return two === '--' || two === '/*';
}


