import type { Operator } from './operator.js';

/** Everything the console's main screen shows, in one answer (secrets are scrubbed by the server). */
export function overview(operator: Operator) {
  const task = operator.task;
  const state = operator.state();
  const cutover = state.cutover;
  return {
    task: {
      name: task.name,
      phases: task.phases,
      destinations: task.destinations.map((d) => d.name),
      tables: operator.live.tables.length,
      alerts: { lagSeconds: task.alerts.lagSeconds, retainedWalBytes: task.alerts.retainedWalBytes, webhook: task.alerts.webhook !== undefined },
    },
    /** migrate: this process runs capture and sinks (pause works); coordinator: they run elsewhere. */
    mode: operator.embedded ? 'migrate' : 'coordinator',
    state: {
      phase: state.phase,
      history: state.history,
      updatedAt: state.updatedAt,
      lastError: state.lastError,
      paused: state.paused ?? null,
      done: state.done,
      cutover: cutover
        ? { startedAt: cutover.startedAt, finishedAt: cutover.finishedAt, abortedAt: cutover.abortedAt, error: cutover.error, fence: cutover.fence, report: cutover.report }
        : null,
    },
    progress: {
      updatedAt: operator.live.updatedAt,
      /** The full copy is measured on the first destination. */
      destination: task.destinations[0]!.name,
      tables: operator.live.tables,
      lag: operator.live.lag,
      throughput: operator.live.throughput,
    },
    services: operator.services(),
    verification: { running: operator.verifying, latest: state.verification ?? null },
    prechecks: operator.prechecks,
    cutoverRun: operator.cutover,
    alerts: operator.alerts.recent.slice(0, 20),
    events: operator.events.slice(0, 20),
  };
}
