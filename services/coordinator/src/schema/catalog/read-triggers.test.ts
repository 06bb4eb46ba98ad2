import { describe, expect, it } from 'vitest';
import { triggerArguments, whenCondition } from './read-triggers.js';

describe('whenCondition', () => {
  it('takes the parenthesized condition after WHEN', () => {
    expect(
      whenCondition('CREATE TRIGGER t BEFORE UPDATE ON s.x FOR EACH ROW WHEN ((old.a IS DISTINCT FROM new.a) AND (new.b = \'WHEN (\')) EXECUTE FUNCTION s.f()'),
    ).toBe("(old.a IS DISTINCT FROM new.a) AND (new.b = 'WHEN (')");
  });

  it('is undefined without WHEN, and not fooled by a quoted name', () => {
    expect(whenCondition('CREATE TRIGGER "WHEN" AFTER INSERT ON s.x FOR EACH ROW EXECUTE FUNCTION s.f()')).toBeUndefined();
  });
});

describe('triggerArguments', () => {
  it('splits NUL-terminated arguments', () => {
    expect(triggerArguments(Buffer.from('a\0it\'s\0\0', 'utf8').toString('hex'), 3)).toEqual(['a', "it's", '']);
    expect(triggerArguments('', 0)).toEqual([]);
  });
});
