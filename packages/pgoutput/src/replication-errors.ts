import { ConnectionError, FerryError, PermissionError, toError } from '@ferry/core';

/** SQLSTATEs where trying again later can help: the slot is busy, the server is restarting or full. */
const RETRIABLE_SQLSTATES = new Set(['55006', '57P01', '57P02', '57P03', '53300', '08006', '08003', '08000']);

interface ServerError {
  code: string;
  message: string;
  hint?: string;
}

function serverError(error: Error): ServerError | undefined {
  const code = (error as { code?: unknown }).code;
  // pg's DatabaseError carries the SQLSTATE as a 5-character code; Node's socket errors use ECONN*.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? (error as unknown as ServerError) : undefined;
}

/**
 * Turns whatever pg or the socket threw into a FerryError that says what failed. The policy:
 * authentication and privilege problems need a person; a busy slot, a restarting server and
 * lost connections are worth retrying; everything else is permanent.
 */
export function replicationError(thrown: unknown, action: string, context: Record<string, unknown> = {}): FerryError {
  if (thrown instanceof FerryError) return thrown;
  const error = toError(thrown);
  const server = serverError(error);
  if (!server) {
    return new ConnectionError(`${action} failed: ${error.message}`, { cause: error, context });
  }
  const message = `${action} failed: ${server.message} (SQLSTATE ${server.code})`;
  const options = { cause: error, context: { ...context, sqlstate: server.code } };
  if (server.code.startsWith('28') || server.code === '42501') {
    return new PermissionError(message, {
      ...options,
      fix: 'the user needs the REPLICATION attribute (or superuser) and a pg_hba.conf entry allowing replication connections',
    });
  }
  if (RETRIABLE_SQLSTATES.has(server.code)) return new ConnectionError(message, options);
  return new FerryError('REPLICATION_FAILED', message, { ...options, fix: server.hint });
}
