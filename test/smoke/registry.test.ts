import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// The registry speaks the Confluent API and enforces BACKWARD compatibility.
const urls = serviceUrlsFromEnv();

describe('schema registry (Confluent API)', () => {
  it('registers a schema, encodes and decodes in the Confluent wire format', async () => {
    const registry = new SchemaRegistry({ host: urls.schemaRegistryUrl });
    const subject = `${uniqueName('smoke')}-value`;
    const schema = {
      type: 'record',
      name: 'Row',
      namespace: 'ferry.smoke',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    const encoded = await registry.encode(id, { id: 42, note: 'héllo' });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ id: 42, note: 'héllo' });
  });

  it('has BACKWARD as the global compatibility level', async () => {
    const response = await fetch(`${urls.schemaRegistryUrl}/config`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { compatibilityLevel?: string; compatibility?: string };
    expect(body.compatibilityLevel ?? body.compatibility).toBe('BACKWARD');
  });
});
