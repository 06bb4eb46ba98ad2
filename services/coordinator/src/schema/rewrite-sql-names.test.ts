import { describe, expect, it } from 'vitest';
import { parseQualifiedName, rewriteSqlNames, tokenizeSql, type NameReference } from './rewrite-sql-names.js';

/** Every reference the rewriter reports, as "context:part.part". */
function references(sql: string): string[] {
  const seen: string[] = [];
  rewriteSqlNames(sql, (reference: NameReference) => {
    seen.push(`${reference.context}:${reference.parts.join('.')}${reference.keywordLike ? '!' : ''}`);
    return undefined;
  });
  return seen;
}

describe('tokenizeSql', () => {
  it('keeps literals, dollar quotes, quoted identifiers and comments whole', () => {
    const tokens = tokenizeSql(`a 'it''s' E'x\\'y' $f$ body "q" $f$ "A""b" -- note\n/* c /* nested */ */ $1::int`);
    expect(tokens.filter((t) => t.kind !== 'space').map((t) => `${t.kind}:${t.text}`)).toEqual([
      'ident:a',
      "string:'it''s'",
      "string:E'x\\'y'",
      'dollar:$f$ body "q" $f$',
      'qident:"A""b"',
      'comment:-- note',
      'comment:/* c /* nested */ */',
      'param:$1',
      'punct:::',
      'ident:int',
    ]);
  });

  it('reads operators as one token and stops them at a comment', () => {
    expect(tokenizeSql('a>=b--x').map((t) => t.text)).toEqual(['a', '>=', 'b', '--x']);
    expect(tokenizeSql('r && s').map((t) => t.kind)).toEqual(['ident', 'space', 'op', 'space', 'ident']);
  });

  it('reads an unterminated literal to the end instead of failing', () => {
    expect(tokenizeSql("'open").map((t) => t.text)).toEqual(["'open"]);
  });
});

describe('rewriteSqlNames contexts', () => {
  it('tells columns, functions, types, collations and fields apart', () => {
    expect(references(`(lower(status) COLLATE "C")::character varying(10) > x.y AND (c).f`)).toEqual([
      'function:lower',
      'plain:status',
      'plain:collate!',
      'collation:C',
      'type:character',
      'type:varying',
      'plain:x.y',
      'function:and!',
      'plain:c',
      'field:f',
    ]);
  });

  it('marks the words of timestamp with time zone as type', () => {
    expect(references('now()::timestamp(3) with time zone')).toEqual(['function:now', 'type:timestamp', 'type:with', 'type:time', 'type:zone']);
  });

  it('sees OPERATOR(schema.op), named arguments and EXTRACT fields', () => {
    expect(references('a OPERATOR(sales.~=) b')).toEqual(['plain:a', 'function:operator!', 'operator:sales', 'plain:b']);
    expect(references('f(x => 1)')).toEqual(['function:f', 'argument-name:x']);
    expect(references('EXTRACT(year FROM d)')).toEqual(['function:extract!', 'keyword-argument:year', 'plain:from!', 'plain:d']);
  });

  it('reads regclass literals as names', () => {
    expect(references(`nextval('sales."Seq"'::regclass)`)).toEqual(['function:nextval', 'literal:sales.Seq', 'type:regclass']);
  });

  it('folds unquoted names to lower case and keeps quoted ones', () => {
    expect(references('"Mixed"."Case" + plain')).toEqual(['plain:Mixed.Case', 'plain:plain']);
  });

  it('leaves string literals, dollar bodies and comments alone', () => {
    expect(references(`'sales.orders' || $b$ sales.orders $b$ /* sales.orders */`)).toEqual([]);
  });
});

describe('rewriteSqlNames output', () => {
  const rename = (sql: string, from: string, to: string[]) =>
    rewriteSqlNames(sql, (reference) => (reference.parts.join('.') === from ? { parts: to } : undefined));

  it('replaces a chain with quoted names and keeps everything else byte for byte', () => {
    expect(rename('(quantity > 0)  AND  other', 'quantity', ['Qty'])).toBe('("Qty" > 0)  AND  other');
    expect(rename('x::sales.mood[]', 'sales.mood', ['shop', 'mood'])).toBe('x::"shop"."mood"[]');
  });

  it('keeps the dot of OPERATOR(schema.op)', () => {
    expect(rename('OPERATOR(sales.~=)', 'sales', ['shop'])).toBe('OPERATOR("shop".~=)');
  });

  it('rewrites regclass literals as quoted literals', () => {
    expect(rename(`nextval('sales.seq'::regclass)`, 'sales.seq', ['shop', "it's"])).toBe(`nextval('"shop"."it''s"'::regclass)`);
  });

  it('can add an alias after a renamed relation', () => {
    const sql = rewriteSqlNames('SELECT orders.id FROM sales.orders WHERE true', (reference) =>
      reference.parts.join('.') === 'sales.orders' && !reference.followedByIdentifier ? { parts: ['shop', 'order_v2'], alias: 'orders' } : undefined,
    );
    expect(sql).toBe('SELECT orders.id FROM "shop"."order_v2" "orders" WHERE true');
  });

  it('reports an existing alias as a following identifier', () => {
    const seen: boolean[] = [];
    rewriteSqlNames('FROM sales.orders o JOIN sales.items "I" ON true', (reference) => {
      if (reference.parts.length === 2) seen.push(reference.followedByIdentifier);
      return undefined;
    });
    expect(seen).toEqual([true, true]);
  });

  it('collapses whitespace and comments outside literals when asked', () => {
    expect(rewriteSqlNames("a \n\t /* c */  b 'x  y'", () => undefined, { collapseWhitespace: true })).toBe("a b 'x  y'");
  });
});

describe('parseQualifiedName', () => {
  it('splits dotted names and unquotes', () => {
    expect(parseQualifiedName('"My Schema"."T""x"')).toEqual(['My Schema', 'T"x']);
    expect(parseQualifiedName('Public.Orders')).toEqual(['public', 'orders']);
  });

  it('refuses anything that is not a plain name', () => {
    expect(parseQualifiedName('character varying')).toBeUndefined();
    expect(parseQualifiedName('a.')).toBeUndefined();
    expect(parseQualifiedName('')).toBeUndefined();
  });
});
