import { describe, expect, it } from 'vitest';
import { sampleQuery, transformQuery } from './transforms.js';

describe('transformQuery', () => {
  it('plans every expression cast to its column type, and the drop condition as a WHERE', () => {
    expect(transformQuery({ columns: { email: 'md5(email)' }, dropWhere: 'deleted' }, new Map([['email', 'character varying(80)']]), '"public"."users"')).toBe(
      'SELECT ((md5(email))::character varying(80))::text FROM "public"."users" WHERE (deleted)',
    );
    expect(transformQuery({ columns: {}, dropWhere: 'deleted' }, new Map(), 't')).toBe('SELECT 1 FROM t WHERE (deleted)');
  });
});

describe('sampleQuery', () => {
  it('evaluates every expression and the drop condition for every row, as the sink does', () => {
    expect(sampleQuery({ columns: { email: 'md5(email)' }, dropWhere: 'deleted' }, new Map([['email', 'text']]), 's')).toBe(
      'SELECT ((md5(email))::text)::text, CASE WHEN (deleted) THEN 1 END FROM s',
    );
  });
});
