import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('removes the password from the user info', () => {
    expect(redactUrl('postgres://ferry:s3cret@db.example:5432/shop')).toBe('postgres://ferry@db.example:5432/shop');
    expect(redactUrl('postgresql://ferry:p%40ss@[::1]:5432/shop?sslmode=require')).toBe(
      'postgresql://ferry@[::1]:5432/shop?sslmode=require',
    );
  });

  it('keeps URLs without a password as they are', () => {
    expect(redactUrl('postgres://ferry@localhost/shop')).toBe('postgres://ferry@localhost/shop');
    expect(redactUrl('postgres://localhost:5433/shop')).toBe('postgres://localhost:5433/shop');
  });

  it('removes password and sslpassword query parameters', () => {
    expect(redactUrl('postgres://localhost/shop?user=a&password=x&sslmode=require')).toBe(
      'postgres://localhost/shop?user=a&sslmode=require',
    );
    expect(redactUrl('postgres://localhost/shop?sslpassword=x')).toBe('postgres://localhost/shop');
    expect(redactUrl('postgres://localhost/shop?PassWord=x#frag')).toBe('postgres://localhost/shop#frag');
  });

  it('never leaves part of a password with unescaped @ or / in it', () => {
    const redacted = redactUrl('postgres://ferry:pa/ss@wo@rd@db/shop');
    expect(redacted).not.toMatch(/pa|ss|wo|rd@/);
    expect(redacted).toBe('postgres://ferry@db/shop');
  });

  it('cleans the key=value form', () => {
    expect(redactUrl("host=db user=ferry password=secret dbname=shop")).toBe('host=db user=ferry password= dbname=shop');
    expect(redactUrl("host=db password='se cret' dbname=shop")).toBe('host=db password= dbname=shop');
  });
});
