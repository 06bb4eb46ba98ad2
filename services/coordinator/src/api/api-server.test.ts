import { parseTask } from '@ferry/config';
import { Registry } from '@ferry/metrics';
import { createRootLogger } from '@ferry/observability';
import type { Kafka } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { newTaskState, type TaskState, type TaskStateStore } from '../workflow/task-state.js';
import { checkApiSettings, startApiServer, type ApiServer } from './api-server.js';
import { Operator } from './operator.js';

const PASSWORD = 'Zq9-very-secret-pw';
const TOKEN = 'a-token-of-twenty-four-chars';
const log = createRootLogger({ service: 'test', level: 'silent', pretty: false });

function taskWith(api: string) {
  return parseTask(`name: shop
source: { url: "postgres://app:${PASSWORD}@db1:5432/shop" }
destination: { url: "postgres://app:${PASSWORD}@db2:5432/shop" }
kafka: { brokers: ["k:9092"] }
schemaRegistry: { url: "http://r:8081" }
${api}`);
}

/** The task state store is Kafka in production; these tests exercise the HTTP layer only. */
function memoryStore(state: TaskState): TaskStateStore {
  return { load: async () => structuredClone(state), save: async () => undefined } as unknown as TaskStateStore;
}

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(apiYaml: string): Promise<{ server: ApiServer; operator: Operator }> {
  const task = taskWith(apiYaml);
  const state = newTaskState();
  const operator = new Operator({ task, configPath: 'task.yaml', overrides: {}, kafka: {} as Kafka, store: memoryStore(state), state, supervisor: undefined, endpoints: [], log });
  server = await startApiServer(operator, new Registry(), { listen: '127.0.0.1', port: 0, token: task.api.token }, log);
  return { server, operator };
}

describe('the API server', () => {
  it('needs the bearer token on /api and /metrics, not on the console files', async () => {
    const { server: s } = await start(`api: { port: 0, token: "${TOKEN}" }`);
    expect((await fetch(`${s.url}api/overview`)).status).toBe(401);
    expect((await fetch(`${s.url}api/overview`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${s.url}metrics`)).status).toBe(401);
    const ok = await fetch(`${s.url}api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { task: { name: string } }).task.name).toBe('shop');
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    expect((await fetch(`${s.url}app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${s.url}../package.json`)).status).toBe(404);
  });

  it('without a token, answers only requests addressed to a loopback name', async () => {
    const { server: s } = await start('api: { port: 0 }');
    expect((await fetch(`${s.url}api/overview`)).status).toBe(200);
    expect((await fetch(`http://localhost:${s.port}/api/overview`)).status).toBe(200);
    // A page of evil.example whose name resolves to 127.0.0.1 (DNS rebinding) is refused.
    const rebinding = await rawGet(s.port, '/api/overview', 'evil.example');
    expect(rebinding.status).toBe(401);
  });

  it('takes actions only as JSON POSTs, and refuses pause where it runs no services', async () => {
    const { server: s } = await start('api: { port: 0 }');
    expect((await fetch(`${s.url}api/pause`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const pause = await fetch(`${s.url}api/pause`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(pause.status).toBe(409);
    expect(await pause.json()).toEqual({ error: 'this coordinator does not run the services (ferry coordinator): pause them where they run' });
    const cutover = await fetch(`${s.url}api/cutover`, { method: 'POST', body: '{"fence":"none"}', headers: { 'content-type': 'application/json' } });
    expect(cutover.status).toBe(400);
    expect(await cutover.json()).toEqual({ error: 'confirm the cutover by sending "confirm": the task name (shop)' });
    expect((await fetch(`${s.url}api/nothing`)).status).toBe(404);
  });

  it('scrubs passwords from everything it returns', async () => {
    const { server: s, operator } = await start('api: { port: 0 }');
    operator.event('error', 'sink:main', `cannot connect to postgres://app:${PASSWORD}@db2:5432/shop: password ${PASSWORD} refused`);
    const text = await (await fetch(`${s.url}api/overview`)).text();
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('"message":"cannot connect to postgres://app@db2:5432/shop: password *** refused"');
  });
});

describe('startApiServer on a port in use', () => {
  it('says so, with the fix', async () => {
    const { server: first } = await start('api: { port: 0 }');
    const task = taskWith('api: { port: 0 }');
    const state = newTaskState();
    const operator = new Operator({ task, configPath: 'task.yaml', overrides: {}, kafka: {} as Kafka, store: memoryStore(state), state, supervisor: undefined, endpoints: [], log });
    await expect(startApiServer(operator, new Registry(), { listen: '127.0.0.1', port: first.port }, log)).rejects.toThrow(
      `the API cannot listen on 127.0.0.1:${first.port}: the address is in use`,
    );
  });
});

describe('checkApiSettings', () => {
  it('refuses a non-loopback address without a token and allows the others', () => {
    expect(() => checkApiSettings({ listen: '0.0.0.0', port: 8080 })).toThrow('api.listen is 0.0.0.0, reachable from other machines, but api.token is not set');
    expect(() => checkApiSettings({ listen: '0.0.0.0', port: 8080, token: TOKEN })).not.toThrow();
    expect(() => checkApiSettings({ listen: '127.0.0.1', port: 8080 })).not.toThrow();
    expect(() => checkApiSettings({ listen: '::1', port: 8080 })).not.toThrow();
    expect(() => checkApiSettings({ listen: '0.0.0.0' })).not.toThrow();
  });
});

async function rawGet(port: number, path: string, host: string): Promise<{ status: number }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end();
  });
}
