import { describe, expect, it } from 'vitest';
import { InvariantError } from '@ferry/core';
import { inlineParameters } from './inline-parameters.js';

describe('inlineParameters', () => {
  it('replaces $n with quoted literals, keeping the casts', () => {
    expect(inlineParameters('SELECT * FROM t WHERE "id" > $1::integer AND "id" <= $2::integer', ['10', '20'])).toBe(
      `SELECT * FROM t WHERE "id" > '10'::integer AND "id" <= '20'::integer`,
    );
  });

  it('quotes hostile values safely and turns null into NULL', () => {
    expect(inlineParameters('SELECT $1::text, $2::text, $3', ["o'clock", 'back\\slash', null])).toBe(
      `SELECT 'o''clock'::text, E'back\\\\slash'::text, NULL`,
    );
  });

  it('handles two-digit placeholders and repeats', () => {
    const params = Array.from({ length: 12 }, (_, i) => `v${i + 1}`);
    expect(inlineParameters('$12 $1 $10 $1', params)).toBe(`'v12' 'v1' 'v10' 'v1'`);
  });

  it('leaves $n alone inside strings, identifiers, comments and dollar quotes', () => {
    const sql = [
      `SELECT 'costs $1', "col$1", E'it\\'s $1', $1`,
      `-- comment $1`,
      `/* block /* nested $1 */ $1 */ $$ body $1 $$, $tag$ $1 $tag$, x$1, $2`,
    ].join('\n');
    expect(inlineParameters(sql, ['A', 'B'])).toBe(
      [`SELECT 'costs $1', "col$1", E'it\\'s $1', 'A'`, `-- comment $1`, `/* block /* nested $1 */ $1 */ $$ body $1 $$, $tag$ $1 $tag$, x$1, 'B'`].join(
        '\n',
      ),
    );
  });

  it('returns the SQL untouched without parameters', () => {
    expect(inlineParameters("SELECT '$1'", [])).toBe("SELECT '$1'");
  });

  it('rejects a placeholder without a value and unterminated quotes', () => {
    expect(() => inlineParameters('SELECT $2', ['a'])).toThrow(InvariantError);
    expect(() => inlineParameters("SELECT 'abc $1", ['a'])).toThrow(/unterminated string/);
    expect(() => inlineParameters('SELECT $x$ abc', ['a'])).toThrow(/dollar-quoted/);
  });

  it('writes numbers and bigints as text literals', () => {
    expect(inlineParameters('LIMIT $1::bigint OFFSET $2::bigint', [10, 9007199254740993n])).toBe(
      `LIMIT '10'::bigint OFFSET '9007199254740993'::bigint`,
    );
  });
});
