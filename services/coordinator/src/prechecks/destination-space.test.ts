import { describe, expect, it } from 'vitest';
import { formatBytes, isLocalUrl, spaceResult } from './destination-space.js';

const GiB = 1024n ** 3n;

describe('formatBytes', () => {
  it('uses binary units with one decimal', () => {
    expect([formatBytes(0n), formatBytes(1536n), formatBytes(5n * GiB)]).toEqual(['0 B', '1.5 KiB', '5.0 GiB']);
  });
});

describe('isLocalUrl', () => {
  it('knows loopback hosts and socket paths', () => {
    expect(isLocalUrl('postgres://u@127.0.0.1:5432/db')).toBe(true);
    expect(isLocalUrl('postgres://u@localhost/db')).toBe(true);
    expect(isLocalUrl('postgres:///db?host=/var/run/postgresql')).toBe(true);
    expect(isLocalUrl('postgres://u@/db?host=%2Fvar%2Frun%2Fpostgresql')).toBe(true);
    expect(isLocalUrl('postgres://u@db.example/db')).toBe(false);
  });
});

describe('spaceResult', () => {
  it('warns with the needed size when free space cannot be known', () => {
    expect(spaceResult('destination "main"', 2n * GiB, 3, { known: false, why: 'it runs on another machine' })).toEqual({
      id: 'destination-space',
      status: 'warning',
      message: 'the free disk space of destination "main" cannot be known (it runs on another machine); the 3 selected tables take 2.0 GiB on the source (with indexes and TOAST)',
      fix: 'check that the volume of destination "main" has at least 3.0 GiB free (the data plus 50% for WAL and index builds)',
    });
  });

  it('is an error below the needed size, a warning below the headroom, a pass above', () => {
    const at = (free: bigint) => spaceResult('destination "main"', 2n * GiB, 1, { known: true, bytes: free, where: '/data' }).status;
    expect([at(1n * GiB), at(2n * GiB + 1n), at(4n * GiB)]).toEqual(['error', 'warning', 'pass']);
  });
});
