import { ConfigError, Lsn } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import {
  createSlotCommand,
  dropSlotCommand,
  protocolVersionFor,
  startReplicationCommand,
  supportsLogicalMessages,
  supportsStreaming,
} from './replication-commands.js';

describe('replication commands', () => {
  it('picks the newest pgoutput protocol each major speaks', () => {
    expect([10, 13, 14, 15, 16, 17, 18].map(protocolVersionFor)).toEqual([1, 1, 2, 3, 4, 4, 4]);
    expect(() => protocolVersionFor(9)).toThrow(ConfigError);
    expect([13, 14].map(supportsStreaming)).toEqual([false, true]);
    expect([13, 14].map(supportsLogicalMessages)).toEqual([false, true]);
  });

  it('builds CREATE_REPLICATION_SLOT in the syntax every major accepts, options only for failover', () => {
    expect(createSlotCommand('ferry_1', { exportSnapshot: true, temporary: false, failover: false })).toBe(
      'CREATE_REPLICATION_SLOT "ferry_1" LOGICAL pgoutput EXPORT_SNAPSHOT',
    );
    expect(createSlotCommand('ferry_1', { exportSnapshot: false, temporary: true, failover: false })).toBe(
      'CREATE_REPLICATION_SLOT "ferry_1" TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT',
    );
    expect(createSlotCommand('ferry_1', { exportSnapshot: true, temporary: false, failover: true })).toBe(
      `CREATE_REPLICATION_SLOT "ferry_1" LOGICAL pgoutput (SNAPSHOT 'export', FAILOVER)`,
    );
    expect(dropSlotCommand('ferry_1', true)).toBe('DROP_REPLICATION_SLOT "ferry_1" WAIT');
  });

  it('rejects slot names PostgreSQL would reject, before sending anything', () => {
    for (const bad of ['Ferry', 'a-b', '', 'x'.repeat(64), 'a"; DROP']) {
      expect(() => dropSlotCommand(bad, false)).toThrow(ConfigError);
    }
  });

  it('builds START_REPLICATION with quoted publication names', () => {
    expect(
      startReplicationCommand({
        slotName: 'ferry_1',
        startLsn: Lsn.parse('16/B374D848'),
        protoVersion: 4,
        publications: ['pub', `it's "odd",`],
        messages: true,
        streaming: true,
      }),
    ).toBe(
      `START_REPLICATION SLOT "ferry_1" LOGICAL 16/B374D848 (proto_version '4', publication_names '"pub","it''s ""odd"","', messages 'true', streaming 'on')`,
    );
    expect(
      startReplicationCommand({ slotName: 's', startLsn: Lsn.ZERO, protoVersion: 1, publications: ['p'], messages: false, streaming: false }),
    ).toBe(`START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '1', publication_names '"p"')`);
    expect(() =>
      startReplicationCommand({ slotName: 's', startLsn: Lsn.ZERO, protoVersion: 1, publications: [], messages: false, streaming: false }),
    ).toThrow('at least one publication');
  });
});
