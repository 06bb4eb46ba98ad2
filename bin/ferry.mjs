#!/usr/bin/env node
// The `ferry` command. Each service has its own entry point; this file only
// picks one, so services never import each other. TypeScript runs through tsx.
import { register } from 'tsx/esm/api';

register();

const SERVICE_ENTRIES = {
  capture: '../services/capture/src/main.ts',
  sink: '../services/sink/src/main.ts',
};
const command = process.argv[2];
const entry = SERVICE_ENTRIES[command] ?? '../services/coordinator/src/main.ts';
await import(new URL(entry, import.meta.url).href);
