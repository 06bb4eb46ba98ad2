import { connect, type Socket } from 'node:net';

/**
 * Bytes on disk per topic, summed over partitions and log dirs, from the broker's
 * DescribeLogDirs API (key 35, version 1). kafkajs has no admin call for it, and the
 * request is small: one request, one response, on a plain socket.
 */
export async function topicSizesOnDisk(broker: string): Promise<Map<string, number>> {
  const [host, port] = splitHostPort(broker);
  const response = await exchange(host, port, describeLogDirsRequest(1));
  return parseDescribeLogDirs(response);
}

const API_KEY_DESCRIBE_LOG_DIRS = 35;
const API_VERSION = 1;
const CLIENT_ID = 'ferry-bench';

/** Request header v1 + body v1 with topics = null (every topic), size-prefixed. */
export function describeLogDirsRequest(correlationId: number): Buffer {
  const client = Buffer.from(CLIENT_ID, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4);
  let at = 0;
  at = body.writeInt16BE(API_KEY_DESCRIBE_LOG_DIRS, at);
  at = body.writeInt16BE(API_VERSION, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(client.length, at);
  at += client.copy(body, at);
  body.writeInt32BE(-1, at); // null array: all topics
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Response (without its size prefix): correlation id, throttle, then results[topics[partitions]]. */
export function parseDescribeLogDirs(response: Buffer): Map<string, number> {
  let at = 4 + 4; // correlation id, throttle_time_ms
  const int16 = () => ((at += 2), response.readInt16BE(at - 2));
  const int32 = () => ((at += 4), response.readInt32BE(at - 4));
  const int64 = () => ((at += 8), Number(response.readBigInt64BE(at - 8)));
  const string = () => {
    const length = int16();
    at += length;
    return response.toString('utf8', at - length, at);
  };
  const sizes = new Map<string, number>();
  const results = int32();
  for (let r = 0; r < results; r++) {
    const error = int16();
    const dir = string();
    if (error !== 0) throw new Error(`DescribeLogDirs: log dir ${dir} answered error code ${error}`);
    const topics = int32();
    for (let t = 0; t < topics; t++) {
      const name = string();
      const partitions = int32();
      for (let p = 0; p < partitions; p++) {
        int32(); // partition index
        const size = int64();
        int64(); // offset lag
        at += 1; // is_future_key
        sizes.set(name, (sizes.get(name) ?? 0) + size);
      }
    }
  }
  return sizes;
}

function exchange(host: string, port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(15_000, () => socket.destroy(new Error(`DescribeLogDirs: no answer from ${host}:${port} within 15 s`)));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.end();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
  });
}

function splitHostPort(broker: string): [string, number] {
  const colon = broker.lastIndexOf(':');
  return [broker.slice(0, colon), Number(broker.slice(colon + 1))];
}
