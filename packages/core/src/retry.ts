import { FerryError, isRetriable, toError } from './errors.js';

export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt. */
  maxElapsedMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Multiplier between attempts. */
  factor?: number;
  /** Decides whether an error is worth another try; default: the error's `retriable` flag. */
  shouldRetry?: (error: Error, elapsedMs: number) => boolean;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  signal?: AbortSignal;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, a non-retriable error is thrown, `bail` is
 * called, or the time window closes. Backoff is exponential with full jitter.
 */
export async function retry<T>(
  attempt: (context: { attempt: number; bail: (error: Error) => never }) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const {
    maxElapsedMs,
    initialDelayMs = 250,
    maxDelayMs = 30_000,
    factor = 2,
    shouldRetry = isRetriable,
    onRetry,
    signal,
    sleep = abortableSleep,
    now = Date.now,
    random = Math.random,
  } = options;
  const started = now();
  let delay = initialDelayMs;
  for (let n = 1; ; n++) {
    let bailed: Error | undefined;
    const bail = (error: Error): never => {
      bailed = error;
      throw error;
    };
    try {
      return await attempt({ attempt: n, bail });
    } catch (thrown) {
      const error = toError(thrown);
      const elapsed = now() - started;
      if (bailed || !shouldRetry(error, elapsed) || signal?.aborted) throw error;
      const remaining = maxElapsedMs - elapsed;
      if (remaining <= 0) throw error;
      const wait = Math.min(remaining, Math.round(random() * Math.min(delay, maxDelayMs)));
      onRetry?.({ attempt: n, delayMs: wait, error });
      await sleep(wait, signal);
      delay = Math.min(delay * factor, maxDelayMs);
    }
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The task's retry windows for a whole service: connection failures are retried for
 * `connectionMinutes`, other retriable failures for `otherMinutes`.
 */
export function serviceRetryOptions(windows: { connectionMinutes: number; otherMinutes: number }): Pick<RetryOptions, 'maxElapsedMs' | 'shouldRetry'> {
  const connectionMs = windows.connectionMinutes * 60_000;
  const otherMs = windows.otherMinutes * 60_000;
  return {
    maxElapsedMs: Math.max(connectionMs, otherMs),
    shouldRetry: (error, elapsedMs) => {
      const chain = causes(error);
      // A client library may give up on a lost connection with a "non-retriable" wrapper
      // (kafkajs: KafkaJSNumberOfRetriesExceeded around KafkaJSConnectionError): look inside.
      const isConnection = chain.some((e) =>
        e instanceof FerryError ? e.code === 'CONNECTION_FAILED' : /Connection|ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(`${e.name} ${e.message}`),
      );
      if (!isConnection && !chain.some(isRetriable)) return false;
      return elapsedMs < (isConnection ? connectionMs : otherMs);
    },
  };
}

/** The error and what it wraps (`cause`, or kafkajs's `originalError`), outermost first. */
function causes(error: Error): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = error; e instanceof Error && chain.length < 8; ) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return chain;
}
