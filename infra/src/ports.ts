/** Port checks: is a port free to bind, does something answer on it. */
import net from 'node:net';
import { HOST, PORT_HINTS } from './config.js';
import { InfraError } from './log.js';

export function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function canConnect(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Throws a clear error if `port` is taken by something we did not start.
 * `key` names the setting in PORT_HINTS; `flagHint` adds e.g. a flag that also changes it.
 */
export async function assertPortFree(port: number, service: string, key: string): Promise<void> {
  if (await isPortFree(port)) return;
  const envName = PORT_HINTS[key] ?? 'the port setting';
  throw new InfraError(
    `port ${HOST}:${port} needed by ${service} is already in use by a process this tool did not start; ` +
      `stop it or pick another port with ${envName}=<port>`,
  );
}
