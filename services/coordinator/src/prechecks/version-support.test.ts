import { describe, expect, it } from 'vitest';
import { checkDirection, checkSourceVersion, majorOf } from './version-support.js';

const v = (num: number, text: string) => ({ num, text });

describe('majorOf', () => {
  it('reads the major from server_version_num', () => {
    expect(majorOf(v(130016, '13.16'))).toBe(13);
    expect(majorOf(v(170006, '17.6'))).toBe(17);
    expect(majorOf(v(90624, '9.6.24'))).toBe(9);
  });
});

describe('checkSourceVersion', () => {
  it('accepts 10 to 18 and rejects older and newer sources', () => {
    expect(checkSourceVersion('versions', v(100023, '10.23')).status).toBe('pass');
    expect(checkSourceVersion('versions', v(180001, '18.1')).status).toBe('pass');
    const old = checkSourceVersion('versions', v(90624, '9.6.24'));
    expect(old.status).toBe('error');
    expect(old.message).toContain('9.6.24');
    expect(checkSourceVersion('versions', v(190000, '19.0')).status).toBe('error');
  });
});

describe('checkDirection', () => {
  it('passes an upgrade and the same major, and names both versions', () => {
    expect(checkDirection('versions', v(130016, '13.16'), v(170006, '17.6'), 'destination "main"')).toEqual({
      id: 'versions',
      status: 'pass',
      message: 'source PostgreSQL 13.16 → destination "main" PostgreSQL 17.6 (upgrade by 4 major versions)',
    });
    expect(checkDirection('versions', v(130016, '13.16'), v(130002, '13.2'), 'destination "main"').message).toContain('same major version');
  });

  it('rejects a downgrade', () => {
    const result = checkDirection('versions', v(170006, '17.6'), v(130016, '13.16'), 'destination "main"');
    expect(result.status).toBe('error');
    expect(result.message).toBe(
      'source PostgreSQL 17.6 → destination "main" PostgreSQL 13.16 is a downgrade: objects, syntax and types of PostgreSQL 17 may not exist in 13',
    );
    expect(result.fix).toBe('migrate to a destination running PostgreSQL 17 or newer');
  });

  it('warns about a destination newer than any tested', () => {
    expect(checkDirection('versions', v(170006, '17.6'), v(190000, '19.0'), 'destination "main"').status).toBe('warning');
  });
});
