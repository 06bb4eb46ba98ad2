import type { TaskConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import type { VerificationSummary } from '../verify/verification-summary.js';
import { postAlert, type AlertEvent, type WebhookOptions } from './webhook-notifier.js';

export interface AlertInputs {
  phase: string;
  /** End-to-end lag (effective: grows while the sink stands still); null when unknown. */
  lagSeconds: number | null;
  /** WAL the slot keeps on the source; null when there is no slot. */
  retainedWalBytes: number | null;
  verification: VerificationSummary | null | undefined;
}

/**
 * Turns the coordinator's numbers into alerts: each goes to the log and, when
 * `alerts.webhook` is set, to the webhook. A condition that lasts (lag, retained WAL)
 * fires once when it starts and resolves once when it ends, instead of every second.
 */
export class AlertMonitor {
  private readonly active = new Set<string>();
  private lastVerificationAt: string | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  readonly recent: AlertEvent[] = [];
  /** Counted per alert name and status, for /metrics. */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly task: TaskConfig,
    private readonly log: Logger,
    private readonly webhookOptions: WebhookOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Remembers the verification already known at start, so an old result does not alert again. */
  seenVerification(summary: VerificationSummary | null | undefined): void {
    this.lastVerificationAt = summary?.at ?? null;
  }

  check(inputs: AlertInputs): void {
    const { lagSeconds: lagLimit, retainedWalBytes: walLimit } = this.task.alerts;
    // During the full copy the sink holds changes back on purpose; lag means something once syncing.
    const syncing = inputs.phase === 'incremental';
    this.condition(
      'lag',
      syncing && inputs.lagSeconds !== null && inputs.lagSeconds > lagLimit,
      inputs.lagSeconds,
      lagLimit,
      (v) => `the destination is ${v.toFixed(1)} s behind the source (alert above ${lagLimit} s)`,
      (v) => `lag is back to ${v.toFixed(1)} s (alert above ${lagLimit} s)`,
    );
    this.condition(
      'retained-wal',
      inputs.retainedWalBytes !== null && inputs.retainedWalBytes > walLimit,
      inputs.retainedWalBytes,
      walLimit,
      (v) => `the replication slot keeps ${v} bytes of WAL on the source (alert above ${walLimit}); the source disk fills while it grows`,
      (v) => `the slot keeps ${v} bytes of WAL again (alert above ${walLimit})`,
    );
    const verification = inputs.verification;
    if (verification && verification.at !== this.lastVerificationAt) {
      this.lastVerificationAt = verification.at;
      if (!verification.ok) {
        const bad = verification.tables.filter((t) => !t.ok);
        this.fire({
          alert: 'verification',
          status: 'firing',
          severity: 'warning',
          message: `verification (${verification.trigger}) found ${bad.length} table(s) differing on destination "${verification.destination}": ${bad
            .slice(0, 5)
            .map((t) => `${t.table} (${t.problem ?? `${t.differenceCount} rows`})`)
            .join(', ')}`,
          value: bad.length,
          threshold: 0,
        });
      }
    }
  }

  /** The task stopped on an error. */
  taskFailed(message: string): void {
    this.fire({ alert: 'task-failed', status: 'firing', severity: 'critical', message: `the task failed: ${message}`, value: null, threshold: null });
  }

  /** A service died (it is restarted). */
  serviceFailed(message: string): void {
    this.fire({ alert: 'service-failed', status: 'firing', severity: 'warning', message, value: null, threshold: null });
  }

  /** Waits until every webhook call in flight is delivered or given up. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private condition(name: string, on: boolean, value: number | null, threshold: number, firing: (v: number) => string, resolved: (v: number) => string): void {
    if (on && !this.active.has(name)) {
      this.active.add(name);
      this.fire({ alert: name, status: 'firing', severity: 'warning', message: firing(value!), value, threshold });
    } else if (!on && this.active.has(name) && value !== null) {
      this.active.delete(name);
      this.fire({ alert: name, status: 'resolved', severity: 'info', message: resolved(value), value, threshold });
    }
  }

  private fire(partial: Omit<AlertEvent, 'task' | 'at'>): void {
    const event: AlertEvent = { task: this.task.name, at: this.now().toISOString(), ...partial };
    this.recent.unshift(event);
    this.recent.length = Math.min(this.recent.length, 50);
    const key = `${event.alert}:${event.status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const level = event.severity === 'critical' ? 'error' : event.severity === 'warning' ? 'warn' : 'info';
    this.log[level]({ alert: event.alert, status: event.status, value: event.value, threshold: event.threshold }, `ALERT ${event.alert} ${event.status}: ${event.message}`);
    const url = this.task.alerts.webhook;
    if (!url) return;
    const sending = postAlert(url, event, this.log, this.webhookOptions).finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }
}
