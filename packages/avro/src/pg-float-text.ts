/**
 * PostgreSQL's text form of float4/float8 values as the server prints them with
 * extra_float_digits > 0 (PostgreSQL 12+): the shortest digits that read back to the
 * same value (Ryu), fixed notation for display exponents -4 ≤ e < 15 (float8) or
 * -4 ≤ e < 6 (float4), otherwise `d.ddde+XX`. Special values are `NaN`, `Infinity`,
 * `-Infinity` and `-0`.
 *
 * Matching the server's exact form is a convenience; what matters is that PostgreSQL
 * parses the text back to the identical value, which the shortest digits guarantee.
 */
export function formatFloat8(value: number): string {
  const special = specialText(value);
  if (special !== undefined) return special;
  return layout(value < 0, shortestDigits(Math.abs(value).toExponential()), 15);
}

/** `value` must be a float4 value (what Avro `float` decodes to). */
export function formatFloat4(value: number): string {
  const special = specialText(value);
  if (special !== undefined) return special;
  const magnitude = Math.abs(value);
  // The shortest decimal that rounds to the same float4, as float4in would read it.
  for (let precision = 1; precision <= 9; precision++) {
    const text = magnitude.toExponential(precision - 1);
    if (Math.fround(Number(text)) === magnitude) return layout(value < 0, shortestDigits(text), 6);
  }
  return layout(value < 0, shortestDigits(magnitude.toExponential(8)), 6);
}

function specialText(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return undefined;
}

interface DecimalDigits {
  digits: string;
  /** Power of ten of the first digit. */
  exponent: number;
}

/** "1.2500e+21" → { digits: "125", exponent: 21 } */
function shortestDigits(exponential: string): DecimalDigits {
  const [mantissa = '', exponent = '0'] = exponential.split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, exponent: Number(exponent) };
}

function layout(negative: boolean, { digits, exponent }: DecimalDigits, fixedBelow: number): string {
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < fixedBelow) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const integerDigits = exponent + 1;
    if (digits.length <= integerDigits) return `${sign}${digits}${'0'.repeat(integerDigits - digits.length)}`;
    return `${sign}${digits.slice(0, integerDigits)}.${digits.slice(integerDigits)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const exponentSign = exponent < 0 ? '-' : '+';
  return `${sign}${digits[0]}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
