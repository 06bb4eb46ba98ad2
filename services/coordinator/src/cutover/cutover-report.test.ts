import { describe, expect, it } from 'vitest';
import { formatReport, type CutoverReport } from './cutover-report.js';

const report: CutoverReport = {
  task: 'shop',
  markerId: 'cutover-x',
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:00:09.000Z',
  writesFencedSeconds: 8.25,
  fence: 'roles "app" cannot log in',
  sessionsEnded: 2,
  lag: [{ destination: 'main', seconds: 0.4 }],
  drained: [{ destination: 'main', markerLsn: '0/16B3748', partitions: 12, seconds: 1.5 }],
  sequences: [
    {
      destination: 'main',
      synced: [
        { sequence: 'public.a_id_seq', destination: 'app.a_id_seq', sourceNext: '42', destinationNext: '1', action: 'set' },
        { sequence: 'public.b_id_seq', destination: 'app.b_id_seq', sourceNext: '7', destinationNext: null, action: 'missing' },
      ],
    },
  ],
  verified: [{ destination: 'main', tables: 4, rows: 1234 }],
  backflow: { taskFile: '/t/shop.backflow.yaml', logFile: '/t/shop.backflow.log', slot: 'ferry_shop_backflow', pid: 99 },
};

describe('cutover report', () => {
  it('says what happened per destination and what to do next', () => {
    expect(formatReport(report, 'shop.yaml')).toBe(
      [
        'cutover of task shop done at 2025-01-01T00:00:09.000Z; application writes were fenced for 8.3 s',
        '  fence:      roles "app" cannot log in; 2 session(s) ended',
        '  main:       drained through marker LSN 0/16B3748 (12 partitions, 1.5 s); sequences: 1 set, 0 already ahead, 1 missing; 4 tables verified equal (1234 rows)',
        '              sequences not on the destination: app.b_id_seq',
        '  backflow:   ferry migrate -c /t/shop.backflow.yaml runs as pid 99 (log /t/shop.backflow.log); slot ferry_shop_backflow on the destination',
        'next:',
        '  - point the applications at the destination; the source stays fenced',
        '  - stop ferry migrate (or capture and sinks) of shop.yaml: the source no longer changes',
        '  - once the old source is retired: ferry capture -c shop.yaml --release, then ferry sink -c shop.yaml --release',
        '  - backflow carries the destination\'s writes to the old source; stop it with kill 99, resume it with ferry migrate -c /t/shop.backflow.yaml, ' +
          'and release it with ferry capture -c /t/shop.backflow.yaml --release and ferry sink -c /t/shop.backflow.yaml --release',
      ].join('\n'),
    );
  });
});
