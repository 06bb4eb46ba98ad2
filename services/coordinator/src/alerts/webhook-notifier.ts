import type { Logger } from '@ferry/observability';
import { redact } from '@ferry/observability';

export interface AlertEvent {
  task: string;
  /** task-failed, service-failed, lag, retained-wal, verification. */
  alert: string;
  /** firing when the condition starts, resolved when it ends (for lag and retained WAL). */
  status: 'firing' | 'resolved';
  severity: 'critical' | 'warning' | 'info';
  message: string;
  value: number | null;
  threshold: number | null;
  at: string;
}

export interface WebhookOptions {
  attempts?: number;
  timeoutMs?: number;
  /** Pause before retry n is n * this. */
  backoffMs?: number;
}

/**
 * POSTs an alert as JSON to the webhook, a few times if it fails. Never throws and
 * never waits on the caller's path: a slow or dead receiver must not hold up the
 * migration. Resolves when delivered or given up (tests and shutdown wait for it).
 */
export async function postAlert(url: string, event: AlertEvent, log: Logger, options: WebhookOptions = {}): Promise<boolean> {
  const attempts = options.attempts ?? 3;
  const body = JSON.stringify(redact(event));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ferry-alerts' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      await response.body?.cancel();
      if (response.ok) return true;
      log.warn({ alert: event.alert, status: response.status, attempt }, 'the alert webhook refused the alert');
    } catch (error) {
      log.warn({ alert: event.alert, attempt, err: error }, 'the alert webhook cannot be reached');
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, attempt * (options.backoffMs ?? 1_000)));
  }
  log.error({ alert: event.alert }, `gave up sending the alert to the webhook after ${attempts} attempts`);
  return false;
}
