// The Ferry console: one page over the coordinator's API, refreshed every two seconds.
import { lineChart, niceBytes } from './charts.js';
import { ago, formatBytes, formatDateTime, formatNumber, formatRate, formatSeconds, formatTime, h } from './format.js';

const TOKEN_KEY = 'ferry.apiToken';
const REFRESH_MS = 2000;
const PHASES = [
  { id: 'precheck', label: 'Prechecks' },
  { id: 'schema', label: 'Schema' },
  { id: 'full', label: 'Full copy' },
  { id: 'post-data', label: 'Indexes & keys' },
  { id: 'incremental', label: 'Continuous sync' },
  { id: 'cutover', label: 'Cutover' },
  { id: 'done', label: 'Done' },
];
const PHASE_LABEL = { new: 'Starting', failed: 'Failed', ...Object.fromEntries(PHASES.map((p) => [p.id, p.label])) };

const ui = {
  overview: null,
  history: [],
  lastPoint: 0,
  screen: 'overview',
  openTables: new Set(),
  cutoverForm: { fence: 'none', roles: '', maxLagSeconds: '5', drainTimeoutSeconds: '120', backflow: false, confirm: '' },
  cutoverInfo: null,
  busy: false,
};

// ---------- API ----------

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  if (response.status === 401) throw new Unauthorized();
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error ?? `${response.status} ${response.statusText}`);
  return data;
}

async function action(label, path, body = {}) {
  ui.busy = true;
  render();
  try {
    await api(path, { method: 'POST', body });
    showBanner('info', label);
  } catch (error) {
    if (error instanceof Unauthorized) askToken(true);
    else showBanner('error', `${label}: ${error.message}`);
  } finally {
    ui.busy = false;
    await refresh();
  }
}

function askToken(refused) {
  const dialog = document.getElementById('token-dialog');
  document.getElementById('token-error').hidden = !refused || !sessionStorage.getItem(TOKEN_KEY);
  if (!dialog.open) dialog.showModal();
}

document.getElementById('token-form').addEventListener('submit', () => {
  sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value.trim());
  document.getElementById('token-input').value = '';
  refresh();
});

function showBanner(kind, text) {
  const banner = document.getElementById('banner');
  banner.className = `banner ${kind}`;
  banner.textContent = text;
  banner.hidden = false;
  clearTimeout(showBanner.timer);
  showBanner.timer = setTimeout(() => (banner.hidden = true), kind === 'error' ? 15000 : 5000);
}

async function refresh() {
  try {
    const [overview, history] = await Promise.all([api('/api/overview'), api(`/api/history?since=${ui.lastPoint}`)]);
    ui.overview = overview;
    ui.history.push(...history.points);
    if (ui.history.length > 0) ui.lastPoint = ui.history[ui.history.length - 1].t;
    ui.history = ui.history.slice(-900);
    if (ui.screen === 'cutover') ui.cutoverInfo = await api(`/api/cutover?maxLagSeconds=${encodeURIComponent(ui.cutoverForm.maxLagSeconds || '5')}`);
    const dialog = document.getElementById('token-dialog');
    if (dialog.open) dialog.close();
    render();
  } catch (error) {
    if (error instanceof Unauthorized) askToken(true);
    else showBanner('error', `cannot reach the coordinator: ${error.message}`);
  }
}

// ---------- screens ----------

function render() {
  const o = ui.overview;
  if (!o) return;
  document.title = `Ferry · ${o.task.name} · ${PHASE_LABEL[o.state.phase] ?? o.state.phase}`;
  document.getElementById('task-name').textContent = o.task.name;
  const badge = document.getElementById('phase-badge');
  badge.textContent = o.state.paused ? `${PHASE_LABEL[o.state.phase] ?? o.state.phase} · paused` : (PHASE_LABEL[o.state.phase] ?? o.state.phase);
  badge.className = `phase-badge ${o.state.paused ? 'paused' : o.state.phase}`;
  const pause = document.getElementById('pause-button');
  const resume = document.getElementById('resume-button');
  const canPause = o.mode === 'migrate' && !['done', 'cutover'].includes(o.state.phase);
  pause.hidden = !canPause || Boolean(o.state.paused);
  resume.hidden = o.mode !== 'migrate' || !o.state.paused;
  pause.disabled = resume.disabled = ui.busy;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.screen === ui.screen);
  for (const name of ['overview', 'verification', 'prechecks', 'cutover']) document.getElementById(`screen-${name}`).hidden = name !== ui.screen;
  const screen = document.getElementById(`screen-${ui.screen}`);
  const build = { overview: overviewScreen, verification: verificationScreen, prechecks: precheckScreen, cutover: cutoverScreen }[ui.screen];
  // The cutover form keeps what the operator typed: rebuild it only when nothing has focus inside.
  if (ui.screen === 'cutover' && screen.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') {
    updateCutoverLive(screen, o);
    return;
  }
  screen.replaceChildren(...build(o).filter(Boolean));
}

function card(title, body, attrs = {}) {
  return h('div', { class: `card ${attrs.class ?? ''}`, 'data-test': attrs.test }, h('h2', {}, title), body);
}

function overviewScreen(o) {
  const lag = o.progress.lag;
  const t = o.progress.throughput;
  const paused = o.state.paused ? h('div', { class: 'notice paused-notice', 'data-test': 'paused-notice' }, `Paused ${ago(o.state.paused.at)} by ${o.state.paused.by}: capture and sinks are stopped, no data moves. Resume to continue where it stopped.`) : null;
  const failed = o.state.lastError ? h('div', { class: 'notice error' }, `Last error: ${o.state.lastError}`) : null;
  return [
    paused,
    failed,
    timeline(o),
    h(
      'div',
      { class: 'stats' },
      stat('Lag', formatSeconds(lag?.seconds), lag?.seconds !== null && lag?.seconds !== undefined && lag.seconds > o.task.alerts.lagSeconds ? 'bad' : '', 'lag-seconds', lag?.seconds === null || lag?.seconds === undefined ? 'known once heartbeats reach the destination' : `alert above ${formatSeconds(o.task.alerts.lagSeconds)}`),
      stat('Slot behind', formatBytes(lag?.bytes), '', 'lag-bytes', 'WAL not yet confirmed'),
      stat('WAL retained', formatBytes(lag?.retainedBytes), lag?.retainedBytes > o.task.alerts.retainedWalBytes ? 'bad' : '', 'retained', 'kept on the source by the slot'),
      stat('Applied', formatRate(t.appliedEventsPerSecond, ' ev/s'), '', 'applied-rate', `${formatRate(t.appliedBytesPerSecond === null ? null : t.appliedBytesPerSecond / 1024, ' kB/s')}`),
      stat('Captured', formatRate(t.capturedEventsPerSecond, ' ev/s'), '', 'captured-rate', `${formatRate(t.capturedBytesPerSecond === null ? null : t.capturedBytesPerSecond / 1024, ' kB/s')}`),
    ),
    h(
      'div',
      { class: 'grid-2' },
      card('Full copy', tablesView(o), { test: 'tables', class: 'span-rows' }),
      card('Lag', chartBox('lag-seconds-chart', [{ name: 'end-to-end lag', className: 's1', key: 'lagSeconds' }], formatSeconds, o.task.alerts.lagSeconds), { test: 'lag-chart' }),
      card('Slot lag and retained WAL', chartBox('lag-bytes-chart', [{ name: 'not yet confirmed', className: 's1', key: 'lagBytes' }, { name: 'retained', className: 's2', key: 'retainedBytes' }], formatBytes, undefined, niceBytes), { test: 'lag-bytes' }),
      card(
        'Throughput',
        chartBox('throughput-chart', [{ name: 'captured', className: 's2', key: 'capturedEventsPerSecond' }, { name: 'applied', className: 's1', key: 'appliedEventsPerSecond' }, { name: 'full copy rows', className: 's3', key: 'snapshotRowsPerSecond' }], (v) => `${formatNumber(v)}/s`),
        { test: 'throughput' },
      ),
    ),
    h('div', { class: 'grid-2' }, card('Services', servicesView(o), { test: 'services' }), card('Recent errors and alerts', eventsView(o), { test: 'events' })),
  ];
}

function stat(label, value, tone, test, hint) {
  return h('div', { class: `stat ${tone}`, 'data-test': test }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-hint' }, hint));
}

function timeline(o) {
  const reached = new Map(o.state.history.map((entry) => [entry.phase, entry.at]));
  const current = PHASES.findIndex((p) => p.id === o.state.phase);
  const applicable = PHASES.filter((p) => p.id !== 'schema' || o.task.phases.includes('schema'));
  return h(
    'ol',
    { class: 'timeline', 'data-test': 'timeline' },
    applicable.map((p) => {
      const index = PHASES.indexOf(p);
      const status = index < current || o.state.phase === 'done' ? 'past' : index === current ? 'current' : 'future';
      return h('li', { class: status, 'data-phase': p.id }, h('span', { class: 'dot' }), h('span', { class: 'label' }, p.label), h('span', { class: 'when' }, reached.has(p.id) ? formatTime(reached.get(p.id)) : ''));
    }),
  );
}

function tablesView(o) {
  const tables = o.progress.tables;
  if (tables.length === 0) return h('p', { class: 'muted' }, 'Waiting for the first progress reading…');
  const done = tables.filter((t) => t.snapshotComplete).length;
  const rows = tables.reduce((sum, t) => sum + t.snapshotRows, 0);
  const estimate = tables.reduce((sum, t) => sum + Math.max(t.estimatedRows, t.snapshotRows), 0);
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, `${done} of ${tables.length} tables copied · ${formatNumber(rows)} of about ${formatNumber(estimate)} rows · measured on destination "${o.progress.destination}"`),
    h(
      'table',
      { class: 'progress-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Table'), h('th', { class: 'bar-col' }, 'Progress'), h('th', { class: 'num' }, 'Rows'), h('th', { class: 'num' }, 'Rows/s'), h('th', { class: 'num' }, 'ETA'))),
      h(
        'tbody',
        {},
        tables.map((t) => {
          const fill = h('div', { class: `fill ${t.snapshotComplete ? 'complete' : ''}` });
          fill.style.width = `${Math.round(t.fraction * 100)}%`;
          return h(
            'tr',
            { 'data-table': t.table },
            h('td', { class: 'name' }, t.table),
            h('td', { class: 'bar-col' }, h('div', { class: 'bar', title: `${Math.round(t.fraction * 100)}%` }, fill)),
            h('td', { class: 'num', 'data-test': 'rows' }, `${formatNumber(t.snapshotRows)} / ${formatNumber(Math.max(t.estimatedRows, t.snapshotRows))}`),
            h('td', { class: 'num' }, t.snapshotComplete || t.snapshotRows === 0 ? '' : formatRate(t.rowsPerSecond, '')),
            h('td', { class: 'num' }, t.snapshotComplete ? h('span', { class: 'ok' }, 'done') : formatSeconds(t.etaSeconds)),
          );
        }),
      ),
    ),
  );
}

function chartBox(id, series, format, threshold, nice) {
  const box = h('div', { class: 'chart-box', id });
  // The window grows with the history, from 2 to 15 minutes, so a young task's lines are not squeezed to the edge.
  const span = ui.history.length > 1 ? ui.history[ui.history.length - 1].t - ui.history[0].t : 0;
  const windowMs = Math.min(15, Math.max(2, Math.ceil(span / 60_000))) * 60_000;
  lineChart(box, { series: series.map((one) => ({ ...one, points: ui.history.map((p) => ({ t: p.t, v: p[one.key] })) })), format, threshold, windowMs, nice });
  const legend = h('div', { class: 'legend' }, series.map((one) => h('span', { class: `key ${one.className}` }, one.name)));
  return h('div', {}, box, legend);
}

function servicesView(o) {
  if (o.mode !== 'migrate') return h('p', { class: 'muted' }, 'Capture and sinks run outside this coordinator (ferry coordinator): their state is in their own logs and /metrics.');
  if (o.services.length === 0) return h('p', { class: 'muted' }, 'No service started yet.');
  return h(
    'table',
    { class: 'plain' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Service'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Restarts'), h('th', {}, 'Last exit'))),
    h(
      'tbody',
      {},
      o.services.map((s) =>
        h('tr', {}, h('td', {}, s.name), h('td', {}, h('span', { class: s.running ? 'ok' : o.state.paused ? 'muted' : 'bad' }, s.running ? `running (pid ${s.pid})` : o.state.paused ? 'paused' : 'stopped')), h('td', { class: 'num' }, s.restarts), h('td', {}, s.lastExit ?? '')),
      ),
    ),
  );
}

function eventsView(o) {
  const items = [
    ...o.alerts.map((a) => ({ at: a.at, level: a.severity === 'critical' ? 'error' : a.status === 'resolved' ? 'info' : 'warning', source: `alert: ${a.alert} ${a.status}`, message: a.message })),
    ...o.events,
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  if (items.length === 0) return h('p', { class: 'muted' }, 'Nothing to report.');
  return h(
    'ul',
    { class: 'events' },
    items.slice(0, 12).map((e) => h('li', { class: e.level }, h('span', { class: 'when' }, formatTime(e.at)), h('span', { class: 'source' }, e.source), h('span', { class: 'message' }, e.message))),
  );
}

function verificationScreen(o) {
  const latest = o.verification.latest;
  const running = o.verification.running;
  const header = h(
    'div',
    { class: 'screen-head' },
    h('div', {}, h('h1', {}, 'Verification'), h('p', { class: 'muted' }, 'Every table compared row by row between the source and the destination (keys and row hashes; only hashes travel).')),
    h('button', { class: 'primary', 'data-test': 'verify-now', disabled: running || ui.busy, onclick: () => action('Verification started', '/api/verify') }, running ? 'Verifying…' : 'Verify now'),
  );
  if (!latest) return [header, card('No verification yet', h('p', { class: 'muted' }, running ? 'The first verification is running…' : 'Run one with “Verify now”. During continuous sync the coordinator also verifies on its own (verify.continuous).'))];
  const bad = latest.tables.filter((t) => !t.ok);
  const summary = h(
    'div',
    { class: `notice ${latest.ok ? 'good' : bad.length === 0 ? 'warn' : 'error'}`, 'data-test': 'verification-summary' },
    bad.length === 0 ? `All ${latest.tables.length} tables match on "${latest.destination}".` : `${bad.length} of ${latest.tables.length} tables differ on "${latest.destination}".`,
    !latest.ok && bad.length === 0 ? ' The schema or the sequences differ: see below.' : '',
    ` Checked ${formatDateTime(latest.at)} (${latest.trigger}${latest.durationSeconds !== undefined ? `, ${latest.durationSeconds} s` : ''}).`,
    bad.length > 0 ? ' Click a table to see its differing rows.' : '',
  );
  const rows = [];
  for (const t of latest.tables) {
    const open = ui.openTables.has(t.table);
    const differs = !t.ok;
    rows.push(
      h(
        'tr',
        { class: differs ? 'differs clickable' : '', 'data-table': t.table, onclick: differs ? () => toggleTable(t.table) : undefined },
        h('td', { class: 'name' }, differs ? h('span', { class: 'chevron' }, open ? '▾ ' : '▸ ') : '', t.table),
        h('td', {}, t.destinationTable),
        h('td', { class: 'num' }, formatNumber(t.sourceRows)),
        h('td', { class: 'num' }, formatNumber(t.destinationRows)),
        h('td', {}, t.ok ? h('span', { class: 'ok' }, 'match') : h('span', { class: 'bad' }, t.differenceCount > 0 ? `${formatNumber(t.differenceCount)} rows differ` : 'differs')),
        h('td', { class: 'muted small' }, t.problem ?? t.note ?? ''),
      ),
    );
    if (differs && open) rows.push(h('tr', { class: 'drill' }, h('td', { colspan: 6 }, differencesView(t))));
  }
  const extra = [];
  if (latest.schema && !latest.schema.ok) {
    extra.push(
      card(
        `Schema: ${latest.schema.differenceCount} difference(s)`,
        h('table', { class: 'plain' }, h('tbody', {}, latest.schema.differences.map((d) => h('tr', {}, h('td', {}, d.difference), h('td', {}, d.kind), h('td', { class: 'mono' }, d.objectName))))),
      ),
    );
  }
  if (latest.sequences) {
    const behind = latest.sequences.items.filter((i) => i.status !== 'ok');
    extra.push(card(`Sequences (${latest.sequences.mode})`, h('p', { class: behind.length ? 'muted' : 'ok' }, behind.length ? `${behind.length} sequence(s) behind or missing on the destination${latest.sequences.mode === 'info' ? ' (expected while sync runs: the cutover sets them)' : ''}.` : 'Every sequence is level with the source or ahead.')));
  }
  return [
    header,
    summary,
    card(
      'Tables',
      h('table', { class: 'plain verification', 'data-test': 'verification-tables' }, h('thead', {}, h('tr', {}, h('th', {}, 'Source table'), h('th', {}, 'Destination'), h('th', { class: 'num' }, 'Source rows'), h('th', { class: 'num' }, 'Destination rows'), h('th', {}, 'Result'), h('th', {}, 'Note'))), h('tbody', {}, rows)),
    ),
    ...extra,
  ];
}

function toggleTable(table) {
  if (ui.openTables.has(table)) ui.openTables.delete(table);
  else ui.openTables.add(table);
  render();
}

function differencesView(t) {
  if (t.differences.length === 0) return h('p', { class: 'muted' }, t.problem ?? 'The differing rows cannot be named for this table (no key).');
  const keyColumns = Object.keys(t.differences[0].key);
  const kindText = { missing: 'missing on the destination', extra: 'only on the destination', different: 'values differ' };
  return h(
    'div',
    { 'data-test': 'differences' },
    h('p', { class: 'muted' }, t.differenceCount > t.differences.length ? `The first ${t.differences.length} of ${formatNumber(t.differenceCount)} differing rows:` : `${t.differences.length} differing row(s):`),
    h(
      'table',
      { class: 'plain keys' },
      h('thead', {}, h('tr', {}, keyColumns.map((c) => h('th', {}, c)), h('th', {}, 'Difference'), h('th', {}, 'Columns'))),
      h('tbody', {}, t.differences.map((d) => h('tr', { class: d.kind }, keyColumns.map((c) => h('td', { class: 'mono' }, d.key[c] ?? 'NULL')), h('td', {}, kindText[d.kind] ?? d.kind), h('td', { class: 'mono' }, d.columns.join(', '))))),
    ),
  );
}

function precheckScreen(o) {
  const p = o.prechecks;
  const header = h(
    'div',
    { class: 'screen-head' },
    h('div', {}, h('h1', {}, 'Prechecks'), h('p', { class: 'muted' }, 'What Ferry checks before it starts: connections, settings, privileges, tables. Each problem comes with its fix.')),
    h('button', { class: 'primary', 'data-test': 'run-prechecks', disabled: p?.running || ui.busy, onclick: () => action('Prechecks started', '/api/prechecks') }, p?.running ? 'Checking…' : 'Run prechecks again'),
  );
  if (!p || p.results.length === 0) return [header, card('No results yet', h('p', { class: 'muted' }, p?.running ? 'The prechecks are running…' : 'The prechecks ran before this coordinator started (or were skipped). Run them again to see the list.'))];
  const order = { error: 0, warning: 1, pass: 2 };
  const results = [...p.results].sort((a, b) => order[a.status] - order[b.status]);
  const counts = { pass: 0, warning: 0, error: 0 };
  for (const r of results) counts[r.status] += 1;
  const started = !['new', 'precheck'].includes(o.state.phase);
  return [
    header,
    h('div', { class: `notice ${counts.error ? 'error' : counts.warning ? 'warn' : 'good'}`, 'data-test': 'precheck-summary' }, `${counts.error} error(s), ${counts.warning} warning(s), ${counts.pass} passed · ${formatDateTime(p.at)}`),
    started
      ? h('p', { class: 'muted' }, 'The checks judge the task as if it started now: once it runs, its own tables on the destination and its own slot show up as findings. They matter before a start, or to check the servers again.')
      : null,
    card(
      'Results',
      h(
        'ul',
        { class: 'checks', 'data-test': 'precheck-results' },
        results.map((r) => h('li', { class: r.status }, h('span', { class: `pill ${r.status}` }, r.status === 'pass' ? 'PASS' : r.status === 'warning' ? 'WARN' : 'ERROR'), h('div', {}, h('div', { class: 'check-id' }, r.id), h('div', {}, r.message), r.fix ? h('div', { class: 'fix' }, h('strong', {}, 'Fix: '), r.fix) : null))),
      ),
    ),
  ];
}

// ---------- cutover ----------

function cutoverScreen(o) {
  const info = ui.cutoverInfo;
  const run = o.cutoverRun;
  const f = ui.cutoverForm;
  const header = h('div', { class: 'screen-head' }, h('div', {}, h('h1', {}, 'Cutover'), h('p', { class: 'muted' }, 'Switch the applications to the destination: the same steps as ferry cutover, one after the other. A failure after the fence restores the source.')));
  if (run && run.finishedAt === null) return [header, runView(run)];
  if (run?.ok) return [header, runView(run), reportView(o.state.cutover?.report)];
  if (o.state.cutover?.finishedAt) {
    return [header, h('div', { class: 'notice good', 'data-test': 'cutover-done' }, `This task was cut over at ${formatDateTime(o.state.cutover.finishedAt)}. Point the applications at the destination.`), reportView(o.state.cutover.report)];
  }
  const readiness = info?.readiness;
  const step1 = h(
    'li',
    { class: `guide-step ${readiness?.ready ? 'ok' : 'blocked'}`, 'data-test': 'cutover-readiness' },
    h('h3', {}, '1 · Ready?'),
    h('p', {}, readiness ? (readiness.ready ? `Yes: continuous sync, lag ${formatSeconds(readiness.lagSeconds)} (limit ${formatSeconds(Number(f.maxLagSeconds))}).` : `Not yet: ${readiness.problem}`) : 'Checking…'),
    h('label', {}, 'Refuse when the lag is at or above ', input('maxLagSeconds', 'number', { min: 0, step: 1, class: 'short' }), ' seconds'),
  );
  const fenceChoice = (value, title, text) =>
    h('label', { class: `choice ${f.fence === value ? 'chosen' : ''}` }, h('input', { type: 'radio', name: 'fence', value, checked: f.fence === value, 'data-test': `fence-${value}`, onchange: () => setForm('fence', value) }), h('span', {}, h('strong', {}, title), h('br'), h('span', { class: 'muted' }, text)));
  const step2 = h(
    'li',
    { class: 'guide-step' },
    h('h3', {}, '2 · How do application writes stop?'),
    h(
      'div',
      { class: 'choices' },
      fenceChoice('none', 'I stopped them myself', 'The applications are stopped or read-only already.'),
      fenceChoice('read-only', 'Make the source database read-only', 'Other sessions end; a soft fence a session could undo.'),
      fenceChoice('roles', 'Lock application roles', 'These roles lose LOGIN and their sessions end:'),
    ),
    f.fence === 'roles' ? h('label', {}, 'Roles (comma-separated) ', input('roles', 'text', { placeholder: 'app_rw, app_batch' })) : null,
  );
  const step3 = h(
    'li',
    { class: 'guide-step' },
    h('h3', {}, '3 · Options'),
    h('label', {}, 'Give up draining after ', input('drainTimeoutSeconds', 'number', { min: 1, class: 'short' }), ' seconds (the source is restored)'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: f.backflow, onchange: (e) => setForm('backflow', e.target.checked) }), ' Start backflow afterwards (destination → old source, to go back if needed)'),
  );
  const running = run && run.finishedAt === null;
  const canStart = readiness?.ready && f.confirm === o.task.name && !running && (f.fence !== 'roles' || f.roles.trim() !== '');
  const step4 = h(
    'li',
    { class: 'guide-step' },
    h('h3', {}, '4 · Confirm'),
    h('label', {}, `Type the task name (${o.task.name}) to confirm `, input('confirm', 'text', { 'data-test': 'cutover-confirm', autocomplete: 'off' })),
    h('div', { class: 'row-end' }, h('button', { class: 'danger', 'data-test': 'cutover-start', disabled: !canStart || ui.busy, onclick: startCutover }, 'Start the cutover')),
  );
  return [header, h('ol', { class: 'guide' }, step1, step2, step3, step4), run ? runView(run) : null];
}

function input(key, type, attrs = {}) {
  // No re-render on change: a blur caused by clicking "Start" would replace the button under the click.
  const el = h('input', { type, 'data-key': key, ...attrs });
  el.value = ui.cutoverForm[key];
  el.addEventListener('input', () => {
    ui.cutoverForm[key] = el.value;
    updateCutoverLive(el.closest('.screen'), ui.overview);
  });
  return el;
}

function setForm(key, value) {
  ui.cutoverForm[key] = value;
  render();
}

/** While the operator types, only the live parts (step states) change. */
function updateCutoverLive(screen, o) {
  const start = screen.querySelector('[data-test="cutover-start"]');
  const f = ui.cutoverForm;
  if (start) start.disabled = !(ui.cutoverInfo?.readiness?.ready && f.confirm === o.task.name && (f.fence !== 'roles' || f.roles.trim() !== ''));
}

function startCutover() {
  const f = ui.cutoverForm;
  const fence = f.fence === 'roles' ? `roles:${f.roles.split(',').map((r) => r.trim()).filter(Boolean).join(',')}` : f.fence;
  action('Cutover started', '/api/cutover', { fence, maxLagSeconds: Number(f.maxLagSeconds), drainTimeoutSeconds: Number(f.drainTimeoutSeconds), backflow: f.backflow, confirm: f.confirm });
}

const STEP_TEXT = {
  check: 'Check the phase and the lag',
  fence: 'Fence application writes on the source',
  drain: 'Wait until the destination applied every change',
  sequences: 'Move sequences to the source’s position',
  verify: 'Verify every table',
  backflow: 'Start backflow (if chosen)',
  report: 'Record the result',
};

function runView(run) {
  const icon = { waiting: '○', running: '◔', done: '●', failed: '✕' };
  const finished = run.finishedAt !== null;
  return card(
    finished ? (run.ok ? 'Cutover finished' : 'Cutover stopped') : 'Cutover running',
    h(
      'div',
      {},
      h('ol', { class: 'run-steps', 'data-test': 'cutover-steps' }, run.steps.map((s, i) => h('li', { class: s.status, 'data-step': s.name }, h('span', { class: 'icon' }, icon[s.status]), h('div', {}, h('strong', {}, `${i + 1}. ${STEP_TEXT[s.name] ?? s.name}`), s.detail ? h('div', { class: 'muted small' }, s.detail) : null)))),
      run.error ? h('div', { class: 'notice error', 'data-test': 'cutover-error' }, run.error) : null,
      finished && run.ok ? h('div', { class: 'notice good', 'data-test': 'cutover-done' }, 'Done: point the applications at the destination now.') : null,
      !finished ? h('div', { class: 'row-end' }, h('button', { onclick: () => action('Stopping the cutover', '/api/cutover/stop') }, 'Stop and restore the source')) : null,
    ),
    { test: 'cutover-run' },
  );
}

function reportView(report) {
  if (!report) return null;
  return card(
    'Report',
    h(
      'dl',
      { class: 'report' },
      h('dt', {}, 'Writes fenced for'),
      h('dd', {}, formatSeconds(report.writesFencedSeconds)),
      h('dt', {}, 'Fence'),
      h('dd', {}, `${report.fence}; ${report.sessionsEnded} session(s) ended`),
      ...report.drained.flatMap((d) => [h('dt', {}, `Drained ${d.destination}`), h('dd', {}, `through LSN ${d.markerLsn} in ${formatSeconds(d.seconds)}`)]),
      ...report.verified.flatMap((v) => [h('dt', {}, `Verified ${v.destination}`), h('dd', {}, `${v.tables} tables equal`)]),
      h('dt', {}, 'Backflow'),
      h('dd', {}, report.backflow ? `running (pid ${report.backflow.pid})` : 'not started'),
    ),
  );
}

// ---------- wiring ----------

function route() {
  const name = location.hash.replace('#', '') || 'overview';
  ui.screen = ['overview', 'verification', 'prechecks', 'cutover'].includes(name) ? name : 'overview';
  render();
  refresh();
}

window.addEventListener('hashchange', route);
document.getElementById('pause-button').addEventListener('click', () => action('Paused: capture and sinks stopped', '/api/pause'));
document.getElementById('resume-button').addEventListener('click', () => action('Resumed: capture and sinks started', '/api/resume'));
route();
setInterval(refresh, REFRESH_MS);
