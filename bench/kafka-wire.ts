import { connect } from 'node:net';

/**
 * Two Kafka requests kafkajs does not offer, spoken directly to one broker (the local
 * single-node cluster): DescribeLogDirs (bytes on disk per topic) and ListOffsets with
 * READ_COMMITTED (the last stable offset: how far committed transactions reach).
 */

const CLIENT_ID = 'ferry-bench';
const DESCRIBE_LOG_DIRS = { key: 35, version: 1 };
const LIST_OFFSETS = { key: 2, version: 2 };

/** Bytes on disk per topic, summed over partitions and log dirs. */
export async function topicSizesOnDisk(broker: string): Promise<Map<string, number>> {
  const body = new Writer().int32(-1); // topics = null: every topic
  const reader = await exchange(broker, DESCRIBE_LOG_DIRS, body);
  reader.int32(); // throttle_time_ms
  const sizes = new Map<string, number>();
  for (let r = reader.int32(); r > 0; r--) {
    const error = reader.int16();
    const dir = reader.string();
    if (error !== 0) throw new Error(`DescribeLogDirs: log dir ${dir} answered error code ${error}`);
    for (let t = reader.int32(); t > 0; t--) {
      const topic = reader.string();
      for (let p = reader.int32(); p > 0; p--) {
        reader.int32(); // partition index
        const size = reader.int64();
        reader.int64(); // offset lag
        reader.int8(); // is_future_key
        sizes.set(topic, (sizes.get(topic) ?? 0) + size);
      }
    }
  }
  return sizes;
}

/** Sum over partitions 0..partitions-1 of the last stable offset (committed transactions only). */
export async function committedEndOffsets(broker: string, topic: string, partitions: number): Promise<number> {
  const body = new Writer().int32(-1).int8(1).int32(1).string(topic).int32(partitions); // replica -1, READ_COMMITTED, one topic
  for (let p = 0; p < partitions; p++) body.int32(p).int64(-1); // timestamp -1: the latest offset
  const reader = await exchange(broker, LIST_OFFSETS, body);
  reader.int32(); // throttle_time_ms
  let sum = 0;
  for (let t = reader.int32(); t > 0; t--) {
    reader.string();
    for (let p = reader.int32(); p > 0; p--) {
      const partition = reader.int32();
      const error = reader.int16();
      reader.int64(); // timestamp
      const offset = reader.int64();
      if (error !== 0) throw new Error(`ListOffsets: ${topic} partition ${partition} answered error code ${error}`);
      sum += offset;
    }
  }
  return sum;
}

class Writer {
  private readonly parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.push(b);
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  int64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return this.push(b);
  }
  string(v: string): this {
    const bytes = Buffer.from(v, 'utf8');
    return this.int16(bytes.length).push(bytes);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
}

class Reader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  int8(): number {
    return this.buffer.readInt8((this.at += 1) - 1);
  }
  int16(): number {
    return this.buffer.readInt16BE((this.at += 2) - 2);
  }
  int32(): number {
    return this.buffer.readInt32BE((this.at += 4) - 4);
  }
  int64(): number {
    return Number(this.buffer.readBigInt64BE((this.at += 8) - 8));
  }
  string(): string {
    const length = this.int16();
    return this.buffer.toString('utf8', (this.at += length) - length, this.at);
  }
}

/** Sends one request (header v1) and returns a reader past the response's correlation id. */
function exchange(broker: string, api: { key: number; version: number }, body: Writer): Promise<Reader> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon);
  const port = Number(broker.slice(colon + 1));
  const payload = new Writer().int16(api.key).int16(api.version).int32(1).string(CLIENT_ID).bytes();
  const message = Buffer.concat([payload, body.bytes()]);
  const request = Buffer.concat([new Writer().int32(message.length).bytes(), message]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(15_000, () => socket.destroy(new Error(`Kafka API ${api.key}: no answer from ${broker} within 15 s`)));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.end();
        const reader = new Reader(received.subarray(4, 4 + received.readInt32BE(0)));
        reader.int32(); // correlation id
        resolve(reader);
      }
    });
    socket.on('error', reject);
  });
}
