import { describe, expect, it } from 'vitest';
import { kafkaSettingsFor } from './client.js';

describe('kafkaSettingsFor', () => {
  it('names the client after the task and the process, and carries SASL only when given', () => {
    expect(kafkaSettingsFor({ brokers: ['h:1'], clientId: 'ferry-shop', ssl: false }, 'sink')).toEqual({ brokers: ['h:1'], clientId: 'ferry-shop-sink', ssl: false });
    const sasl = { mechanism: 'plain' as const, username: 'u', password: 'p' };
    expect(kafkaSettingsFor({ brokers: ['h:1'], clientId: 'c', ssl: true, sasl }, 'capture').sasl).toBe(sasl);
  });
});
