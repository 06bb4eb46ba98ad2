// CPU per produced record: kafkajs (Ferry's client) beside node-rdkafka (librdkafka), both
// transactional and idempotent (acks=all), 150-byte values, 1 000 keys, one 6-partition topic,
// 20 000 records per transaction. node-rdkafka is not a dependency; to compare:
//   npm install --no-save node-rdkafka@3.6.1      (builds librdkafka from source, about 2 min)
//   node bench/kafka-client-cost.mjs kafkajs  300000 127.0.0.1:19092
//   node bench/kafka-client-cost.mjs rdkafka  300000 127.0.0.1:19092
// Results and what they meant for capture: docs/decisions.md, "kafkajs stays".
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [client = 'kafkajs', countArg = '300000', broker = '127.0.0.1:19092'] = process.argv.slice(2);
const total = Number(countArg);
const perTransaction = 20_000;
const topic = `ferry-bench-client-${client}-${Date.now()}`;
const value = Buffer.alloc(150, 7);
const keys = Array.from({ length: 1_000 }, (_, i) => Buffer.from(`key-${i}-padding-xx`));

const { Kafka, Partitioners, logLevel } = require('kafkajs');
const kafka = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });

const promised = (run) => new Promise((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
const started = Date.now();
const cpu = process.cpuUsage();
if (client === 'kafkajs') {
  const producer = kafka.producer({ transactionalId: topic, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let sent = 0; sent < total; ) {
    const transaction = await producer.transaction();
    for (let inTransaction = 0; inTransaction < perTransaction && sent < total; ) {
      const messages = [];
      for (; messages.length < 5_000 && inTransaction < perTransaction && sent < total; inTransaction++, sent++) messages.push({ key: keys[sent % 1_000], value });
      await transaction.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
    }
    await transaction.commit();
  }
  await producer.disconnect();
} else {
  const { Producer } = require('node-rdkafka');
  const producer = new Producer(
    { 'metadata.broker.list': broker, 'transactional.id': topic, 'enable.idempotence': true, 'linger.ms': 5, dr_cb: false },
    { partitioner: 'murmur2_random' },
  );
  await promised((done) => producer.connect({}, done));
  await promised((done) => producer.initTransactions(30_000, done));
  for (let sent = 0; sent < total; ) {
    await promised((done) => producer.beginTransaction(done));
    for (let inTransaction = 0; inTransaction < perTransaction && sent < total; inTransaction++, sent++) {
      for (;;) {
        try {
          producer.produce(topic, null, value, keys[sent % 1_000]);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 1)); // queue full: let librdkafka send
        }
      }
    }
    await promised((done) => producer.commitTransaction(30_000, done));
  }
  await new Promise((resolve) => producer.disconnect(resolve));
}
const wallMs = Date.now() - started;
const used = process.cpuUsage(cpu);
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
console.log(JSON.stringify({ client, records: total, wallMs, recordsPerSecond: Math.round(total / (wallMs / 1000)), cpuMsPer1000Records: +((used.user + used.system) / 1000 / (total / 1000)).toFixed(2) }));
