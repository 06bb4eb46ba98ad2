import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@ferry/core';
import { EXPOSITION_CONTENT_TYPE, type Registry } from '@ferry/metrics';
import { redact, type Logger } from '@ferry/observability';
import { parseFence, DEFAULT_DRAIN_TIMEOUT_SECONDS, DEFAULT_MAX_LAG_SECONDS } from '../cutover/cutover-options.js';
import { redactSecrets, secretsOfTask } from '../prechecks/redact.js';
import { ActionError, type Operator } from './operator.js';
import { overview } from './overview.js';

/** The console's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/format.js': { file: 'format.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
const CONSOLE_DIR = new URL('../console/', import.meta.url);
const MAX_BODY_BYTES = 64 * 1024;

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ApiSettings {
  listen: string;
  port: number;
  token?: string | undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses an API reachable from other machines without a token, before anything starts. */
export function checkApiSettings(api: { listen: string; port?: number | undefined; token?: string | undefined }): void {
  if (api.port === undefined || isLoopback(api.listen) || api.token) return;
  throw new ConfigError(`api.listen is ${api.listen}, reachable from other machines, but api.token is not set`, [{ path: 'api.token', message: 'required when api.listen is not a loopback address' }], {
    fix: 'set api.token to a long random string (write it as ${FERRY_API_TOKEN} and export that variable), or listen on 127.0.0.1',
  });
}

/**
 * The coordinator's HTTP API and web console (node:http). Every /api/ route and
 * /metrics need `Authorization: Bearer <api.token>` when a token is set; without
 * one, only requests addressed to a loopback host name are served (no DNS
 * rebinding). State-changing requests are POSTs with a JSON body, which a foreign
 * web page cannot send without a CORS preflight this server never grants. Every
 * JSON answer is scrubbed of the task's passwords.
 */
export async function startApiServer(operator: Operator, metrics: Registry, settings: ApiSettings, log: Logger): Promise<ApiServer> {
  checkApiSettings(settings);
  const secrets = secretsOfTask(operator.task);
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof ActionError ? error.status : error instanceof ConfigError ? 400 : 500;
      if (status === 500) log.error({ err: error, path: request.url }, 'API request failed');
      if (!response.headersSent) sendJson(response, status, { error: (error as Error).message });
      else response.end();
    });
  });

  const sendJson = (response: ServerResponse, status: number, body: unknown) => {
    const text = redactSecrets(JSON.stringify(redact(body)), secrets);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(text);
  };

  const authorized = (request: IncomingMessage): boolean => {
    if (!settings.token) {
      const host = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      return isLoopback(host);
    }
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
    const expected = Buffer.from(settings.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const asset = ASSETS[path];
    if (asset && request.method === 'GET') {
      const body = await readFile(new URL(asset.file, CONSOLE_DIR));
      response
        .writeHead(200, {
          'content-type': asset.type,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        })
        .end(body);
      return;
    }
    if (!path.startsWith('/api/') && path !== '/metrics') {
      sendJson(response, 404, { error: `no such page: ${path}` });
      return;
    }
    if (!authorized(request)) {
      response.setHeader('www-authenticate', 'Bearer realm="ferry"');
      sendJson(response, 401, { error: settings.token ? 'send the API token: Authorization: Bearer <api.token>' : 'requests must be addressed to 127.0.0.1 or localhost' });
      return;
    }
    if (path === '/metrics' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(await metrics.render());
      return;
    }
    const route = `${request.method} ${path}`;
    if (request.method === 'POST' && !(request.headers['content-type'] ?? '').startsWith('application/json')) {
      sendJson(response, 415, { error: 'send actions as POST with Content-Type: application/json' });
      return;
    }
    const who = `api (${request.socket.remoteAddress ?? '?'})`;
    switch (route) {
      case 'GET /api/overview':
        return sendJson(response, 200, overview(operator));
      case 'GET /api/history': {
        const since = Number(url.searchParams.get('since') ?? 0);
        return sendJson(response, 200, { points: operator.live.history.filter((p) => p.t > since) });
      }
      case 'GET /api/verification':
        return sendJson(response, 200, { running: operator.verifying, verification: operator.state().verification ?? null });
      case 'GET /api/prechecks':
        return sendJson(response, 200, { prechecks: operator.prechecks });
      case 'GET /api/cutover': {
        const maxLag = Number(url.searchParams.get('maxLagSeconds') ?? DEFAULT_MAX_LAG_SECONDS);
        return sendJson(response, 200, { readiness: await operator.readiness(maxLag), run: operator.cutover, record: operator.state().cutover ?? null });
      }
      case 'POST /api/pause':
        await readBody(request);
        await operator.pause(who);
        return sendJson(response, 200, { paused: true });
      case 'POST /api/resume':
        await readBody(request);
        await operator.resume(who);
        return sendJson(response, 200, { paused: false });
      case 'POST /api/verify': {
        const body = await readBody(request);
        operator.startVerification(typeof body.destination === 'string' ? body.destination : undefined);
        return sendJson(response, 202, { running: true });
      }
      case 'POST /api/prechecks':
        await readBody(request);
        operator.startPrechecks();
        return sendJson(response, 202, { running: true });
      case 'POST /api/cutover': {
        const body = await readBody(request);
        if (body.confirm !== operator.task.name) throw new ActionError(400, `confirm the cutover by sending "confirm": the task name (${operator.task.name})`);
        operator.startCutover(
          {
            fence: parseFence(typeof body.fence === 'string' ? body.fence : undefined),
            maxLagSeconds: seconds(body.maxLagSeconds, DEFAULT_MAX_LAG_SECONDS, 'maxLagSeconds'),
            drainTimeoutSeconds: seconds(body.drainTimeoutSeconds, DEFAULT_DRAIN_TIMEOUT_SECONDS, 'drainTimeoutSeconds'),
            backflow: body.backflow === true,
          },
          who,
        );
        return sendJson(response, 202, { running: true });
      }
      case 'POST /api/cutover/stop':
        await readBody(request);
        operator.stopCutover();
        return sendJson(response, 202, { stopping: true });
      default:
        return sendJson(response, 404, { error: `no such route: ${route}` });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const problem = error.code === 'EADDRINUSE' ? 'is in use' : error.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be used (${error.message})`;
      reject(
        new ConfigError(`the API cannot listen on ${settings.listen}:${settings.port}: the address ${problem}`, [{ path: 'api.port', message: problem }], {
          fix: 'choose another api.port (or api.listen), or stop what listens there',
        }),
      );
    });
    server.listen(settings.port, settings.listen, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => log.warn({ err: error }, 'the API server failed'));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = settings.listen.includes(':') ? `[${settings.listen}]` : settings.listen;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ActionError(413, 'the request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ActionError(400, 'the request body must be a JSON object');
  }
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new ActionError(400, `${name} must be a number of seconds, got ${JSON.stringify(value)}`);
  return number;
}
