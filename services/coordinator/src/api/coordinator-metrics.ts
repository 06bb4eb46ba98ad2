import type { TaskPhase } from '../workflow/task-state.js';
import type { Operator } from './operator.js';
import type { Registry } from '@ferry/metrics';
import { processMetrics } from '@ferry/runtime';

const PHASES: TaskPhase[] = ['new', 'precheck', 'schema', 'full', 'post-data', 'incremental', 'cutover', 'done', 'failed'];

/** The coordinator's /metrics: phase, per-table copy progress, lag, the slot's WAL, verification, alerts. */
export function coordinatorMetrics(operator: Operator): Registry {
  const { registry } = processMetrics('coordinator', operator.task);
  const destination = operator.task.destinations[0]!.name;
  const phase = registry.gauge('ferry_task_phase', '1 for the phase the task is in, 0 for the others.');
  const paused = registry.gauge('ferry_task_paused', '1 while an operator paused the task.');
  const lag = registry.gauge('ferry_lag_seconds', 'End-to-end lag from the heartbeats; grows while the sink stands still.');
  const heartbeatLag = registry.gauge('ferry_heartbeat_lag_seconds', 'Lag of the newest heartbeat applied on the destination.');
  const lagBytes = registry.gauge('ferry_source_slot_lag_bytes', 'WAL written on the source that the slot has not confirmed.');
  const retained = registry.gauge('ferry_source_slot_retained_wal_bytes', 'WAL the replication slot keeps on the source.');
  const applied = registry.gauge('ferry_snapshot_applied_rows', 'Rows of the full copy applied on the destination, per table.');
  const estimated = registry.gauge('ferry_snapshot_estimated_rows', 'Rows the source estimates per table.');
  const complete = registry.gauge('ferry_snapshot_applied_complete', '1 once the table\'s full copy is applied on the destination.');
  const verificationOk = registry.gauge('ferry_verification_ok', '1 when the newest verification found every table equal.');
  const differing = registry.gauge('ferry_verification_differing_tables', 'Tables that differed in the newest verification.');
  const alerts = registry.counter('ferry_alerts_total', 'Alerts raised, by alert and status.');
  const restarts = registry.counter('ferry_service_restarts_total', 'Restarts of a supervised service after it died.');
  registry.onCollect(() => {
    const state = operator.state();
    for (const p of PHASES) phase.set(state.phase === p ? 1 : 0, { phase: p });
    paused.set(state.paused ? 1 : 0);
    const live = operator.live;
    const labels = { destination };
    lag.set(live.lag?.seconds ?? null, labels);
    heartbeatLag.set(live.lag?.heartbeatSeconds ?? null, labels);
    lagBytes.set(live.lag?.bytes ?? null);
    retained.set(live.lag?.retainedBytes ?? null);
    for (const t of live.tables) {
      applied.set(t.snapshotRows, { table: t.table, destination });
      estimated.set(t.estimatedRows, { table: t.table });
      complete.set(t.snapshotComplete ? 1 : 0, { table: t.table, destination });
    }
    if (state.verification) {
      verificationOk.set(state.verification.ok ? 1 : 0, { destination: state.verification.destination });
      differing.set(state.verification.tables.filter((t) => !t.ok).length, { destination: state.verification.destination });
    }
    for (const [key, count] of operator.alerts.counts) {
      const [alert, status] = key.split(':');
      alerts.setTotal(count, { alert: alert!, status: status! });
    }
    for (const service of operator.services()) restarts.setTotal(service.restarts, { service: service.name });
  });
  return registry;
}
