import type pg from 'pg';
import { classifyPgError } from './sqlstate.js';
import { rawTextTypes } from './connect.js';

/** Rows as arrays of PostgreSQL's own text (or null), whatever parsers the client was given. */
export type TextRow = (string | null)[];

/**
 * Runs one query and returns rows as exact text. Passing `rawTextTypes` per query
 * keeps this exact even on a client that was opened without them.
 */
export async function queryTextRows(client: pg.ClientBase, text: string, params: readonly unknown[] = []): Promise<TextRow[]> {
  try {
    const result = await client.query<TextRow>({ text, values: params as unknown[], rowMode: 'array', types: rawTextTypes });
    return result.rows;
  } catch (error) {
    throw classifyPgError(error);
  }
}

/** A boolean as a query returns it: true from a parsing client, 't' as raw text, 'true' after ::text. */
export function isPgTrue(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
