import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redact, redactText } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Service name: capture, sink, coordinator, cli. */
  service: string;
  level?: string;
  /** Human-readable lines instead of JSON (for terminals). */
  pretty?: boolean;
  /** Where lines go; stderr by default so stdout stays for command output. */
  destination?: DestinationStream;
}

/**
 * The one root logger of a process. Every object and message passes through
 * the redactor, so a connection URL or password cannot reach a log line.
 * Child loggers add task, phase and table context: `log.child({ task, phase })`.
 */
export function createRootLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // `err` is left to its serializer (which redacts too): pino formats before it serializes.
      log: (object) => {
        const { err, ...rest } = object;
        return err === undefined ? redact(rest) : { ...redact(rest), err };
      },
    },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (error: unknown) => redact(serializeError(error)),
    },
  };
  if (settings.pretty && !settings.destination) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino(options, settings.destination ?? pino.destination(2));
}

function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  for (const key of ['code', 'retriable', 'context', 'fix'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}
