import { ReplicationConnection } from '@ferry/pgoutput';
import { createTempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { withSession, writeTransaction, sleep } from './helpers.js';
import { Lsn } from '@ferry/core';

for (const url of [process.env.SOURCE_PG_URL!, process.env.DEST_PG_URL!]) {
  const db = await createTempDatabase(url, 'scratch');
  try {
    await withSession(db.url, (c) => c.query(`CREATE TABLE items (id int PRIMARY KEY, pad text); CREATE PUBLICATION pub FOR TABLE items`));
    // 1. writer-side logical_decoding_work_mem
    const conn = await ReplicationConnection.connect(db.url);
    console.log('major', conn.serverMajor);
    const slot = uniqueName('s');
    await conn.createSlot(slot, { exportSnapshot: false });
    await withSession(db.url, async (w) => {
      await w.query(`SET logical_decoding_work_mem = '64kB'`);
      await writeTransaction(w, [`INSERT INTO items SELECT g, repeat('p', 50) FROM generate_series(1, 5000) g`]);
    });
    if (conn.serverMajor >= 14) {
      const stream = conn.startReplication({ slotName: slot, publications: ['pub'] });
      const seen: string[] = [];
      for await (const e of stream) { seen.push(e.message.tag); if (e.message.tag === 'commit' || e.message.tag === 'stream-commit') break; }
      console.log('writer-side 64kB: first tags', seen.slice(0, 3), 'count', seen.length, 'streamed?', seen.includes('stream-start'));
      await stream.close();
    }
    // 2. backpressure numbers
    const big = await withSession(db.url, (w) => writeTransaction(w, [`INSERT INTO items SELECT g, repeat('s', 100) FROM generate_series(10000, 209999) g`]));
    const stream = conn.startReplication({ slotName: slot, publications: ['pub'], bufferedFrames: 64 });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    for (const wait of [500, 1500, 3000]) {
      await sleep(wait);
      const sent = await withSession(db.url, async (c) => (await c.query(`SELECT sent_lsn::text FROM pg_stat_replication WHERE pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1)`, [slot])).rows[0].sent_lsn);
      console.log('after', wait, 'buffered', stream.bufferedFrames, 'sent', sent, 'txn end <=', big.lsnAfter.toString(), 'bytes behind', big.lsnAfter.bytesSince(Lsn.parse(sent)), 'rss MB', Math.round(process.memoryUsage().rss / 1e6));
    }
    let n = 0; const t0 = Date.now();
    for (;;) { const r = await it.next(); if (r.done) break; n++; if (r.value.message.tag === 'commit') break; }
    console.log('drained', n, 'frames in', Date.now() - t0, 'ms; stats', stream.stats);
    await stream.close();
    await conn.dropSlot(slot);
    await conn.close();
  } finally { await db.drop(); }
}
