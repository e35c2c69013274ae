import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ListenFailedError, StoreUnavailableError } from './errors.js';
import { listenFailure, startRefusal } from './start-refusal.js';

const errno = (code: string) => Object.assign(new Error(`listen ${code}`), { code });
const sqlite = { dataDir: '/srv/licensor/data', mongo: false };

describe('listenFailure (every listen error is ERR_LISTEN_FAILED naming the address)', () => {
  it('names the host and port and what to do, whatever the listen error', () => {
    const cases = [
      ['EADDRINUSE', /^Cannot listen on 127\.0\.0\.1:4001: the port is taken .*--port/],
      ['EACCES', /^Cannot listen on 127\.0\.0\.1:4001: permission denied .*--port/],
      [
        'EADDRNOTAVAIL',
        /^Cannot listen on 127\.0\.0\.1:4001: 127\.0\.0\.1 is not an address .*--host/,
      ],
      [
        'ENOTFOUND',
        /^Cannot listen on 127\.0\.0\.1:4001: the host name 127\.0\.0\.1 does not resolve .*--host/,
      ],
      ['EAI_AGAIN', /does not resolve \(EAI_AGAIN\)/],
      [
        'EWHATEVER',
        /^Cannot listen on 127\.0\.0\.1:4001 \(EWHATEVER: listen EWHATEVER\); check --host and --port/,
      ],
    ] as const;
    for (const [code, message] of cases) {
      const failure = listenFailure(errno(code), '127.0.0.1', 4001);
      expect(failure, code).toBeInstanceOf(ListenFailedError);
      expect(failure.code).toBe('ERR_LISTEN_FAILED');
      expect(failure.message, code).toMatch(message);
      expect(startRefusal(failure, sqlite)).toEqual({
        code: 'ERR_LISTEN_FAILED',
        message: failure.message,
      });
    }
    expect(listenFailure(errno('EADDRINUSE'), '::1', 80).message).toContain('[::1]:80');
  });

  it("reads node's own listen errors: an address not this machine's, a name that does not resolve", async () => {
    for (const host of ['10.255.255.1', 'no.such.host.invalid']) {
      const server = createServer();
      const error = await new Promise<unknown>((resolve) => {
        server.once('error', resolve);
        server.listen(0, host, () => resolve(null));
      });
      server.close();
      expect(error, host).not.toBeNull();
      expect(listenFailure(error, host, 0).message, host).toMatch(
        /is not an address of this machine \(EADDRNOTAVAIL\)|does not resolve \((ENOTFOUND|EAI_AGAIN)\)/,
      );
    }
  });
});

describe('startRefusal (what the operator reads when serve cannot start)', () => {
  it('refuses a missing store (ERR_STORE_NOT_FOUND, any error with that code) naming the folder and the flags to check', () => {
    const notFound = Object.assign(new Error('no Licensor store in /srv/licensor/dta'), {
      code: 'ERR_STORE_NOT_FOUND',
    });
    const refusal = startRefusal(notFound, { dataDir: '/srv/licensor/dta', mongo: false });
    expect(refusal?.code).toBe('ERR_STORE_NOT_FOUND');
    expect(refusal?.message).toMatch(
      /^No Licensor store in \/srv\/licensor\/dta: check --data \(or LICENSOR_DATA\) .*MONGODB_URI.*`licensor-issuer init`/,
    );
    const mongo = startRefusal(notFound, { dataDir: '/srv/licensor/dta', mongo: true });
    expect(mongo?.message).toMatch(/check --mongodb-uri \(or MONGODB_URI\)/);
  });

  it('says what to do when the store cannot be written by the user the service runs as', () => {
    const readonly = new StoreUnavailableError(
      'cannot open the SQLite store in /srv/licensor/data: attempt to write a readonly database',
      {
        cause: Object.assign(new Error('attempt to write a readonly database'), {
          code: 'SQLITE_READONLY',
        }),
      },
    );
    expect(startRefusal(readonly, sqlite)).toEqual({
      code: 'ERR_STORE_UNAVAILABLE',
      message: `${readonly.message}. The service writes to the store (nonces, check records): give the user it runs as write access to /srv/licensor/data and the files in it.`,
    });
    // Any other store failure: its own message.
    const down = new StoreUnavailableError('cannot open the SQLite store: disk I/O error');
    expect(startRefusal(down, sqlite)).toEqual({
      code: 'ERR_STORE_UNAVAILABLE',
      message: down.message,
    });
  });

  it('leaves an error that is not a refusal (a bug) to be reported as one', () => {
    expect(startRefusal(new TypeError('x is undefined'), sqlite)).toBeNull();
  });
});
