import type pg from 'pg';
import { FerryError } from '@ferry/core';
import { redactUrl } from '@ferry/pg';
import type { CheckResult } from './types.js';

/** Where a connection attempt went, already named for the reader. */
export interface ConnectAttempt {
  checkId: string;
  /** "the source database" or 'destination "main"'. */
  label: string;
  /** The URL from the task; only its redacted form is ever shown. */
  url: string;
  /** The task key holding that URL, e.g. "source.url". */
  urlKey: string;
  timeoutMs: number;
}

interface Endpoint {
  host: string;
  port: string;
  database: string;
  user: string;
}

/**
 * Explains a failed connection: which of the usual causes it is (wrong password,
 * no pg_hba.conf entry, unknown role or database, nothing listening, unknown host,
 * no answer), each with its own fix. Never echoes the password.
 */
export function explainConnectFailure(attempt: ConnectAttempt, error: unknown): CheckResult {
  const where = redactUrl(attempt.url);
  const ep = endpointOf(attempt.url);
  const code = errorCode(error);
  const text = errorText(error);
  const fail = (message: string, fix: string): CheckResult => ({
    id: attempt.checkId,
    status: 'error',
    message: `cannot connect to ${attempt.label} at ${where}: ${message}`,
    fix,
    objects: [where],
  });

  switch (code) {
    case '28P01':
      return fail(
        `the password for user "${ep.user}" was rejected (28P01)`,
        `correct the password in ${attempt.urlKey} (or in the environment variable it reads), or set it on the server: ALTER ROLE "${ep.user}" PASSWORD '...';`,
      );
    case '28000':
      if (/pg_hba\.conf/i.test(text)) {
        return fail(
          `the server has no pg_hba.conf entry for user "${ep.user}", database "${ep.database}" from this machine (28000)`,
          `add a line such as "host ${ep.database} ${ep.user} <this machine's address>/32 scram-sha-256" to pg_hba.conf on ${ep.host}, then SELECT pg_reload_conf();`,
        );
      }
      if (/role .* does not exist/i.test(text)) {
        return fail(
          `the role "${ep.user}" does not exist on the server (28000)`,
          `correct the user name in ${attempt.urlKey}, or create it: CREATE ROLE "${ep.user}" LOGIN PASSWORD '...';`,
        );
      }
      return fail(`${text} (28000)`, `check the role "${ep.user}" and the pg_hba.conf rules of ${ep.host}`);
    case '3D000':
      return fail(
        `the database "${ep.database}" does not exist on ${ep.host}:${ep.port} (3D000)`,
        `correct the database name at the end of ${attempt.urlKey}, or create it: CREATE DATABASE "${ep.database}";`,
      );
    case '53300':
      return fail(
        `the server has no free connection slots (53300)`,
        `close idle sessions or raise max_connections on ${ep.host} (ALTER SYSTEM SET max_connections = ...; then restart PostgreSQL)`,
      );
    case '57P03':
      return fail(`the server is starting up, shutting down or in recovery (57P03)`, `wait until ${ep.host}:${ep.port} accepts connections, then run ferry precheck again`);
    case 'ECONNREFUSED':
      return fail(
        `nothing accepts connections on ${ep.host}:${ep.port} (ECONNREFUSED)`,
        `start PostgreSQL on ${ep.host}, or correct the host and port in ${attempt.urlKey}; the server's listen_addresses and port settings must include them`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(
        `the host name "${ep.host}" does not resolve (${code})`,
        `correct the host in ${attempt.urlKey}, or check this machine's DNS (e.g. getent hosts ${ep.host})`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'TIMEOUT':
      return fail(
        `no answer from ${ep.host}:${ep.port} within ${Math.round(attempt.timeoutMs / 1000)} s (${code})`,
        `check that ${ep.host}:${ep.port} is reachable from this machine: firewall, security group, VPN, and the server's listen_addresses`,
      );
    case 'NO_SSL':
      return fail(`the server does not accept SSL connections`, `set sslmode=disable in ${attempt.urlKey}, or enable ssl on the server`);
    default:
      return fail(text, 'check the URL and the server named in the message');
  }
}

/** The SQLSTATE or errno behind a connect error; Node may wrap several attempts in an AggregateError. */
export function errorCode(error: unknown): string | undefined {
  const cause = error instanceof FerryError && error.cause !== undefined ? error.cause : error;
  if (cause === null || typeof cause !== 'object') return undefined;
  const own = (cause as { code?: unknown }).code;
  if (typeof own === 'string' && own.length > 0) return own;
  const nested = (cause as { errors?: unknown[] }).errors?.[0];
  if (nested && typeof nested === 'object' && typeof (nested as { code?: unknown }).code === 'string') {
    return (nested as { code: string }).code;
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/timeout/i.test(message)) return 'TIMEOUT';
  if (/does not support SSL/i.test(message)) return 'NO_SSL';
  return undefined;
}

function errorText(error: unknown): string {
  const cause = error instanceof FerryError && error.cause !== undefined ? error.cause : error;
  const text = cause instanceof Error ? cause.message || cause.name : String(cause);
  // A URL inside a message (seen in DNS errors of some drivers) loses its password.
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (url) => redactUrl(url));
}

function endpointOf(url: string): Endpoint {
  try {
    const u = new URL(url);
    return {
      host: decodeURIComponent(u.hostname) || 'localhost',
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || '(default user)',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/** The pass line of a connect check: where, as whom, which server. */
export async function describeConnection(checkId: string, label: string, url: string, client: pg.Client): Promise<CheckResult> {
  const { rows } = await client.query<{ user: string; version: string }>(
    `SELECT current_user AS "user", current_setting('server_version') AS version`,
  );
  const row = rows[0]!;
  return {
    id: checkId,
    status: 'pass',
    message: `connected to ${label} at ${redactUrl(url)} as "${row.user}" (PostgreSQL ${row.version})`,
  };
}
