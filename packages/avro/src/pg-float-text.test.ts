import { describe, expect, it } from 'vitest';
import { formatFloat4, formatFloat8 } from './pg-float-text.js';

describe('formatFloat8', () => {
  it('prints what PostgreSQL prints with extra_float_digits > 0', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [1, '1'],
      [-1.5, '-1.5'],
      [0.1, '0.1'],
      [1 / 3, '0.3333333333333333'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [123456789012345, '123456789012345'],
      [1e15, '1e+15'],
      [1234567890123456, '1.234567890123456e+15'],
      [1e100, '1e+100'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [-2.5e-10, '-2.5e-10'],
      [100, '100'],
    ];
    for (const [value, text] of cases) expect(formatFloat8(value)).toBe(text);
  });

  it('reads back to the identical double for random bit patterns', () => {
    const view = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 20_000; i++) {
      view.setUint32(0, (Math.random() * 2 ** 32) >>> 0);
      view.setUint32(4, (Math.random() * 2 ** 32) >>> 0);
      const value = view.getFloat64(0);
      expect(Object.is(Number(formatFloat8(value)), value) || Number.isNaN(value)).toBe(true);
    }
  });
});

describe('formatFloat4', () => {
  it('prints what PostgreSQL prints with extra_float_digits > 0', () => {
    const cases: Array<[number, string]> = [
      [Math.fround(1.1), '1.1'],
      [Math.fround(-0.1), '-0.1'],
      [Math.fround(123456), '123456'],
      [Math.fround(1e6), '1e+06'],
      [Math.fround(1234567), '1.234567e+06'],
      [Math.fround(3.4028235e38), '3.4028235e+38'],
      [Math.fround(1e-45), '1e-45'],
      [Math.fround(0.0001), '0.0001'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [-Infinity, '-Infinity'],
    ];
    for (const [value, text] of cases) expect(formatFloat4(value)).toBe(text);
  });

  it('reads back to the identical float for random bit patterns', () => {
    const view = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < 20_000; i++) {
      view.setUint32(0, (Math.random() * 2 ** 32) >>> 0);
      const value = view.getFloat32(0);
      if (Number.isNaN(value)) continue;
      expect(Object.is(Math.fround(Number(formatFloat4(value))), value)).toBe(true);
    }
  });
});
