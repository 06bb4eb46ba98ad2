/** Progress and error messages. Everything goes to stderr so that stdout stays clean for `env`. */

export function log(message: string): void {
  process.stderr.write(`[infra] ${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`[infra] warning: ${message}\n`);
}

/** Seconds since `start` (a `performance.now()` value), formatted like `3.2s`. */
export function since(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)}s`;
}

/** An expected failure: the CLI prints its message without a stack trace. */
export class InfraError extends Error {
  override name = 'InfraError';
}
