import { InvariantError } from '@ferry/core';
import { quoteIdent, quoteLiteral } from '@ferry/pg';
import type { QualifiedName } from './schema-model.js';

/** Small SQL pieces shared by the DDL builders. */

export function qualified(name: QualifiedName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.name)}`;
}

export function columnList(names: readonly string[]): string {
  return `(${names.map(quoteIdent).join(', ')})`;
}

/**
 * `WITH (fillfactor = '70')` from reloptions text ("fillfactor=70"). Option
 * names come from the catalog; anything that is not a plain option name is
 * refused rather than spliced.
 */
export function withOptions(options: readonly string[]): string {
  if (options.length === 0) return '';
  const parts = options.map((option) => {
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? 'true' : option.slice(eq + 1);
    if (!/^[a-z_][a-z0-9_.]*$/.test(name)) throw new InvariantError(`unexpected storage option name ${JSON.stringify(name)} in the catalog`);
    return `${name} = ${quoteLiteral(value)}`;
  });
  return ` WITH (${parts.join(', ')})`;
}

/** Integers from the catalog (sequence bounds, sizes) go into DDL as digits only. */
export function integer(text: string | number): string {
  const value = String(text);
  if (!/^-?\d+$/.test(value)) throw new InvariantError(`expected an integer from the catalog, got ${JSON.stringify(value)}`);
  return value;
}

/** `OPERATOR("schema".+)`: operator names are symbols, never quoted; anything else is refused. */
export function operatorReference(name: QualifiedName): string {
  return `OPERATOR(${quoteIdent(name.schema)}.${operatorSymbol(name.name)})`;
}

export function operatorSymbol(name: string): string {
  if (!/^[+\-*/<>=~!@#%^&|`?]+$/.test(name)) throw new InvariantError(`unexpected operator name ${JSON.stringify(name)} in the catalog`);
  return name;
}

export function deferrability(deferrable: boolean, initiallyDeferred: boolean): string {
  if (!deferrable) return '';
  return initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
}
