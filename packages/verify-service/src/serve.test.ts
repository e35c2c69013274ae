import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './serve.js';

describe('isLoopbackHost (whether an open /metrics is worth a warning)', () => {
  it('is true of the addresses only this machine reaches', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('is false of every address others may reach', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      'verify.example.com',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '127.0.0.1.example.com',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
