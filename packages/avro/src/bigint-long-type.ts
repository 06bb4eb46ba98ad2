import avro from 'avsc';
import type { Type } from 'avsc';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// avsc packs the 8 bytes into the output right after `toBuffer` returns, so one
// scratch buffer serves every write and encoding a long allocates nothing.
const scratch = Buffer.alloc(8);

/**
 * Avro `long` as a JavaScript bigint, so int8 and oid values beyond 2^53 stay exact
 * (avsc's own long type refuses them). Writes accept a bigint or a safe-integer number
 * (convenient for timestamps); reads always give a bigint.
 */
export const bigintLongType: Type = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): bigint => buf.readBigInt64LE(0),
  toBuffer: (value: bigint | number): Buffer => {
    scratch.writeBigInt64LE(typeof value === 'bigint' ? value : BigInt(value), 0);
    return scratch;
  },
  // JSON forms only serve defaults, `clone` and display: keep big values exact as strings.
  fromJSON: (json: unknown): bigint => BigInt(json as string | number | bigint),
  toJSON: (value: bigint): number | string =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString(),
  isValid: (value: unknown): boolean =>
    typeof value === 'bigint'
      ? value >= INT64_MIN && value <= INT64_MAX
      : Number.isSafeInteger(value),
  compare: (a: bigint | number, b: bigint | number): number => (a < b ? -1 : a > b ? 1 : 0),
}) as unknown as Type;
