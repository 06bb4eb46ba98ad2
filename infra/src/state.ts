/** Paths of the state folder (.infra/) and the per-service records under .infra/run/. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceId } from './config.js';

const srcDir = path.dirname(fileURLToPath(import.meta.url));

/** infra/ of the repo (holds kafka/pom.xml). */
export const infraPackageDir = path.resolve(srcDir, '..');
/** The repo root: two levels up from infra/src. */
export const repoRoot = path.resolve(srcDir, '..', '..');

export interface Paths {
  root: string;
  cache: string;
  run: string;
  logs: string;
  pg: string;
  kafka: string;
}

export function paths(): Paths {
  const override = process.env['FERRY_INFRA_DIR'];
  const root = override !== undefined && override !== '' ? path.resolve(override) : path.join(repoRoot, '.infra');
  return {
    root,
    cache: path.join(root, 'cache'),
    run: path.join(root, 'run'),
    logs: path.join(root, 'logs'),
    pg: path.join(root, 'pg'),
    kafka: path.join(root, 'kafka'),
  };
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** What `up` recorded about a service it started. */
export interface ServiceRecord {
  service: ServiceId;
  pid: number;
  port: number;
  version: string;
  url: string;
  startedAt: string;
  /** A string that the process's command line contains, to tell our process from a recycled pid. */
  marker: string;
  logFile: string;
  /** PostgreSQL only. */
  dataDir?: string;
  binDir?: string;
  major?: number;
  /** Kafka only. */
  controllerPort?: number;
}

function recordPath(service: ServiceId): string {
  return path.join(paths().run, `${service}.json`);
}

function pidPath(service: ServiceId): string {
  return path.join(paths().run, `${service}.pid`);
}

/** Writes `.infra/run/<service>.pid` (the bare pid) and `.infra/run/<service>.json` (details). */
export function writeRecord(record: ServiceRecord): void {
  ensureDir(paths().run);
  fs.writeFileSync(pidPath(record.service), `${record.pid}\n`);
  fs.writeFileSync(recordPath(record.service), `${JSON.stringify(record, null, 2)}\n`);
}

export function readRecord(service: ServiceId): ServiceRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(recordPath(service), 'utf8')) as ServiceRecord;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function removeRecord(service: ServiceId): void {
  fs.rmSync(recordPath(service), { force: true });
  fs.rmSync(pidPath(service), { force: true });
}
