import { describe, expect, it } from 'vitest';
import { nextValue, sequenceAction } from './sync-sequences.js';

describe('sequence sync', () => {
  it('knows the next value from last_value and is_called', () => {
    expect(nextValue({ lastValue: 1n, isCalled: false, increment: 1n })).toBe(1n);
    expect(nextValue({ lastValue: 41n, isCalled: true, increment: 1n })).toBe(42n);
    expect(nextValue({ lastValue: -5n, isCalled: true, increment: -5n })).toBe(-10n);
  });

  it('moves the destination forward, never back', () => {
    const source = { lastValue: 500n, isCalled: true, increment: 1n };
    expect(sequenceAction(source, { lastValue: 1n, isCalled: false, increment: 1n })).toBe('set');
    expect(sequenceAction(source, { lastValue: 500n, isCalled: true, increment: 1n })).toBe('kept');
    expect(sequenceAction(source, { lastValue: 900n, isCalled: true, increment: 1n })).toBe('kept');
  });

  it('treats a descending sequence as moving down', () => {
    const source = { lastValue: -100n, isCalled: true, increment: -1n };
    expect(sequenceAction(source, { lastValue: -1n, isCalled: false, increment: -1n })).toBe('set');
    expect(sequenceAction(source, { lastValue: -200n, isCalled: true, increment: -1n })).toBe('kept');
  });
});
