import { ConfigError, type Lsn } from '@ferry/core';

/*
 * Text of the replication commands. The walsender speaks only the simple query protocol
 * (no parameters), so names are validated and quoted here, never spliced raw.
 */

/** pgoutput protocol version for a server major: 1 (10–13), 2 (14), 3 (15), 4 (16+). */
export function protocolVersionFor(serverMajor: number): number {
  if (serverMajor < 10) {
    throw new ConfigError(`PostgreSQL ${serverMajor} has no pgoutput plugin`, [], {
      fix: 'use PostgreSQL 10 or newer as the source',
    });
  }
  if (serverMajor <= 13) return 1;
  if (serverMajor === 14) return 2;
  if (serverMajor === 15) return 3;
  return 4;
}

/** Streaming of in-progress transactions needs protocol 2 (PostgreSQL 14+). */
export function supportsStreaming(serverMajor: number): boolean {
  return serverMajor >= 14;
}

/** pgoutput's `messages` option (logical decoding messages) arrived in PostgreSQL 14. */
export function supportsLogicalMessages(serverMajor: number): boolean {
  return serverMajor >= 14;
}

/** PostgreSQL's rule: lower-case letters, digits and underscores, at most 63 bytes. */
export function checkSlotName(name: string): void {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) {
    throw new ConfigError(`invalid replication slot name "${name}"`, [], {
      fix: 'use only lower-case letters, digits and underscores, at most 63 characters',
    });
  }
}

export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new ConfigError('an identifier cannot contain a zero byte');
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new ConfigError('a string literal cannot contain a zero byte');
  return `'${text.replaceAll("'", "''")}'`;
}

export interface CreateSlotCommandOptions {
  exportSnapshot: boolean;
  temporary: boolean;
  /** Only PostgreSQL 17+; needs the option-list syntax. */
  failover: boolean;
}

export function createSlotCommand(slotName: string, options: CreateSlotCommandOptions): string {
  checkSlotName(slotName);
  const head = `CREATE_REPLICATION_SLOT ${quoteIdentifier(slotName)}${options.temporary ? ' TEMPORARY' : ''} LOGICAL pgoutput`;
  if (options.failover) {
    return `${head} (SNAPSHOT ${options.exportSnapshot ? "'export'" : "'nothing'"}, FAILOVER)`;
  }
  // The pre-15 keyword syntax: every major from 10 to 18 accepts it.
  return `${head} ${options.exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`;
}

export function dropSlotCommand(slotName: string, wait: boolean): string {
  checkSlotName(slotName);
  return `DROP_REPLICATION_SLOT ${quoteIdentifier(slotName)}${wait ? ' WAIT' : ''}`;
}

export interface StartReplicationCommandOptions {
  slotName: string;
  /** 0/0 means: from the slot's confirmed_flush_lsn. */
  startLsn: Lsn;
  protoVersion: number;
  publications: readonly string[];
  messages: boolean;
  streaming: boolean;
}

export function startReplicationCommand(options: StartReplicationCommandOptions): string {
  checkSlotName(options.slotName);
  if (options.publications.length === 0) {
    throw new ConfigError('START_REPLICATION needs at least one publication name');
  }
  // publication_names is one string holding a comma-separated list of quoted identifiers.
  const publicationList = options.publications.map(quoteIdentifier).join(',');
  const pluginOptions = [
    `proto_version '${options.protoVersion}'`,
    `publication_names ${quoteLiteral(publicationList)}`,
  ];
  if (options.messages) pluginOptions.push(`messages 'true'`);
  if (options.streaming) pluginOptions.push(`streaming 'on'`);
  return `START_REPLICATION SLOT ${quoteIdentifier(options.slotName)} LOGICAL ${options.startLsn.toString()} (${pluginOptions.join(', ')})`;
}
