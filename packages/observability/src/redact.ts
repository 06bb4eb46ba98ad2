/**
 * Removes secrets from anything about to be logged or shown: passwords inside
 * connection URLs, and values under keys that name a secret.
 */
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|credential|sasl|private[-_]?key/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/\s]*)(@)/gi;
/** key=value style secrets inside connection strings: password=... */
const KV_PASSWORD = /\b(password|passwd|pwd)\s*=\s*('[^']*'|"[^"]*"|[^\s;&]+)/gi;

export const REDACTED = '[redacted]';

export function redactText(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}$3`).replace(KV_PASSWORD, `$1=${REDACTED}`);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Deep copy with secrets replaced; safe for logs, events, errors and the console. */
export function redact<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]' as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, seen)) as T;
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    for (const [k, v] of Object.entries(value)) copy[k] = isSecretKey(k) ? REDACTED : redact(v, seen);
    return copy as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redact(v, seen);
  }
  return out as T;
}
