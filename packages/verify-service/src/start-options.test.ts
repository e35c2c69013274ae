import { describe, expect, it } from 'vitest';
import { MAX_CACHE_TTL_MS, readStartOptions } from './start-options.js';

const usage = (message: RegExp | string) =>
  expect.objectContaining({
    code: 'ERR_USAGE',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });

describe('readStartOptions (the flags and environment of `serve`)', () => {
  it('takes the defaults when nothing is given', () => {
    expect(readStartOptions({}, {})).toEqual({
      port: 4001,
      host: '127.0.0.1',
      data: undefined,
      mongoUri: undefined,
      trustProxy: false,
      cacheTtlMs: 5000,
      recordFlushMs: 250,
      workers: 1,
      logLevel: 'info',
      metricsToken: null,
      passphrase: undefined,
    });
  });

  it('reads a variable set to the empty string as unset, every one of them (LICENSOR_VERIFY_HOST= binds loopback, not every interface)', () => {
    const empty = Object.fromEntries(
      [
        'LICENSOR_VERIFY_PORT',
        'LICENSOR_VERIFY_HOST',
        'LICENSOR_DATA',
        'MONGODB_URI',
        'LICENSOR_TRUST_PROXY',
        'LICENSOR_VERIFY_CACHE_TTL_MS',
        'LICENSOR_VERIFY_RECORD_FLUSH_MS',
        'LICENSOR_VERIFY_WORKERS',
        'LOG_LEVEL',
        'LICENSOR_METRICS_TOKEN',
        'LICENSOR_STATUS_KEY_PASSPHRASE',
      ].map((name) => [name, '']),
    );
    expect(readStartOptions({}, empty)).toEqual(readStartOptions({}, {}));
  });

  it('reads a variable without the spaces around it (a value typed in a compose file), as the portal does', () => {
    const options = readStartOptions(
      {},
      { LICENSOR_VERIFY_PORT: ' 4002 ', LICENSOR_VERIFY_WORKERS: '2 ', LICENSOR_DATA: ' /srv/lic' },
    );
    expect([options.port, options.workers, options.data]).toEqual([4002, 2, '/srv/lic']);
  });

  it('refuses a flag given an empty value, naming the flag', () => {
    for (const flag of ['host', 'port', 'data', 'mongodb-uri', 'log-level', 'workers'] as const) {
      expect(() => readStartOptions({ [flag]: '' }, {}), flag).toThrow(
        usage(`--${flag} must not be empty; leave it out for the default`),
      );
    }
  });

  it('names the variable, not the flag, when a wrong value came from the environment', () => {
    const cases = [
      ['LICENSOR_VERIFY_PORT', 'abc', /^LICENSOR_VERIFY_PORT must be a whole number .*got "abc"$/],
      ['LICENSOR_VERIFY_WORKERS', 'many', /^LICENSOR_VERIFY_WORKERS must be .*got "many"$/],
      ['LICENSOR_VERIFY_CACHE_TTL_MS', '-1', /^LICENSOR_VERIFY_CACHE_TTL_MS must be .*got "-1"$/],
      [
        'LICENSOR_VERIFY_RECORD_FLUSH_MS',
        '5',
        /^LICENSOR_VERIFY_RECORD_FLUSH_MS must be .*got "5"$/,
      ],
      ['LOG_LEVEL', 'verbose', /^LOG_LEVEL must be one of fatal, error, warn, info/],
      ['LICENSOR_VERIFY_HOST', 'a b', /^LICENSOR_VERIFY_HOST must be one address/],
    ] as const;
    for (const [variable, value, message] of cases) {
      expect(() => readStartOptions({}, { [variable]: value }), variable).toThrow(usage(message));
    }
    // The flag wins, and is the name blamed.
    expect(() => readStartOptions({ port: 'abc' }, { LICENSOR_VERIFY_PORT: '4002' })).toThrow(
      usage(/^--port must be/),
    );
    expect(readStartOptions({ port: '4003' }, { LICENSOR_VERIFY_PORT: 'abc' }).port).toBe(4003);
  });

  it('takes pino levels in any case and `warning` for warn; refuses anything else naming the levels', () => {
    expect(readStartOptions({}, { LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(readStartOptions({}, { LOG_LEVEL: 'warning' }).logLevel).toBe('warn');
    expect(readStartOptions({}, { LOG_LEVEL: 'Warning' }).logLevel).toBe('warn');
    expect(readStartOptions({ 'log-level': 'debug' }, {}).logLevel).toBe('debug');
    expect(readStartOptions({ 'log-level': 'silent' }, {}).logLevel).toBe('silent');
    expect(() => readStartOptions({ 'log-level': 'verbose' }, {})).toThrow(
      usage(
        '--log-level must be one of fatal, error, warn, info, debug, trace, silent (any case; warning = warn); got "verbose"',
      ),
    );
  });

  it('reads LICENSOR_TRUST_PROXY as a yes/no in the usual spellings, and refuses any other value', () => {
    for (const on of ['1', 'true', 'TRUE', 'yes', 'on']) {
      expect(readStartOptions({}, { LICENSOR_TRUST_PROXY: on }).trustProxy, on).toBe(true);
    }
    for (const off of ['0', 'false', 'No', 'off']) {
      expect(readStartOptions({}, { LICENSOR_TRUST_PROXY: off }).trustProxy, off).toBe(false);
    }
    expect(readStartOptions({ 'trust-proxy': true }, {}).trustProxy).toBe(true);
    for (const flags of [{}, { 'trust-proxy': true }]) {
      expect(() => readStartOptions(flags, { LICENSOR_TRUST_PROXY: 'enabled' })).toThrow(
        usage(
          /^LICENSOR_TRUST_PROXY must be on, true, yes, 1 or off, false, no, 0 .*got "enabled"$/,
        ),
      );
    }
  });

  it('bounds the license cache (the revocation bound) at a minute', () => {
    expect(readStartOptions({ 'cache-ttl-ms': String(MAX_CACHE_TTL_MS) }, {}).cacheTtlMs).toBe(
      60_000,
    );
    expect(() => readStartOptions({ 'cache-ttl-ms': '86400000' }, {})).toThrow(
      usage('--cache-ttl-ms must be a whole number from 0 to 60000; got "86400000"'),
    );
  });

  it('refuses a wrong setting of the SQLite store as a usage error naming it, before the store opens', () => {
    expect(() => readStartOptions({}, { LICENSOR_SQLITE_CACHE_MIB: 'lots' })).toThrow(
      usage(/^LICENSOR_SQLITE_CACHE_MIB is "lots": set it to a whole number of MiB/),
    );
    expect(() => readStartOptions({}, { LICENSOR_SQLITE_CHECKPOINT_THREAD: 'maybe' })).toThrow(
      usage(/^LICENSOR_SQLITE_CHECKPOINT_THREAD is "maybe"/),
    );
    expect(readStartOptions({}, { LICENSOR_SQLITE_ISSUE_THREAD: 'off' }).port).toBe(4001);
  });

  it('refuses a blank scrape token and one a scrape cannot send as typed; keeps a good one', () => {
    expect(() => readStartOptions({}, { LICENSOR_METRICS_TOKEN: '    ' })).toThrow(
      usage(/^LICENSOR_METRICS_TOKEN is blank .*unset it .*openssl rand -hex 16/),
    );
    expect(() =>
      readStartOptions({}, { LICENSOR_METRICS_TOKEN: 'jeton-très-secret-1234' }),
    ).toThrow(usage(/^LICENSOR_METRICS_TOKEN must be printable ASCII/));
    expect(() => readStartOptions({}, { LICENSOR_METRICS_TOKEN: 'short' })).toThrow(
      usage(/^LICENSOR_METRICS_TOKEN must be at least 16 characters/),
    );
    const token = 'c0ffee00c0ffee00c0ffee00';
    expect(readStartOptions({}, { LICENSOR_METRICS_TOKEN: ` ${token}\n` }).metricsToken).toBe(
      token,
    );
  });
});
