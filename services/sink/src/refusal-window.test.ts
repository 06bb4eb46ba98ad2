import { describe, expect, it } from 'vitest';
import { RefusalWindow } from './refusal-window.js';

describe('RefusalWindow', () => {
  it('expires an event a window after its first refusal, and forgets settled offsets', () => {
    let t = 1_000;
    const window = new RefusalWindow(3_000, () => t);
    expect(window.expired('a', 0, 5n)).toBe(false);
    window.refused('a', 0, 5n);
    t += 2_000;
    window.refused('a', 0, 5n); // a later refusal does not restart the window
    expect(window.expired('a', 0, 5n)).toBe(false);
    expect(window.remainingMs('a', 0, 5n)).toBe(1_000);
    t += 1_000;
    expect(window.expired('a', 0, 5n)).toBe(true);
    expect(window.expired('a', 1, 5n)).toBe(false);
    window.settled('a', 0, 6n);
    expect(window.expired('a', 0, 5n)).toBe(false);
  });
});
