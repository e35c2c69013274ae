// A check is answered only once its nonce is on disk (#15.5): on the SQLite store the check
// writer's thread syncs the write-ahead log itself (pipelined, or on the idle path when nothing
// else is in flight), and a sync that fails, on either path, refuses
// the checks it was to cover with 503 ERR_STORE_UNAVAILABLE: none of them is answered, none is
// recorded, and the service answers again at the next check once the log is checkpointed.
import { openStore } from '@licensor/issuer/store';
import { Keyring, verifyStatus } from '@licensor/token';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import { errorOf, postCheck } from './support/http.js';
import {
  type IssuerFixture,
  issueLicense,
  openIssuerFixture,
  passphrase,
} from './support/issuer-store.js';
import { checkFor } from './support/process.js';

describe('a check on SQLite whose sync of the log fails', () => {
  let fixture: IssuerFixture | undefined;
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const store of closing.splice(0)) await store.close();
    await fixture?.cleanup();
    fixture = undefined;
  });

  // The first check's sync is a pipelined one (the directory is synced before the first answer);
  // a later check alone is synced by the writer's thread itself (the idle path): after one check
  // answered (sync 1) and its record written (sync 2), the third sync is the check's.
  it.each([
    ['the first check (the pipelined path)', 0, { idle: 0, pipelined: 1 }],
    ['a later check alone (the idle path)', 1, { idle: 2, pipelined: 1 }],
  ])(
    '%s is answered 503 ERR_STORE_UNAVAILABLE and not recorded; the next check is answered',
    async (_, before, syncsThen) => {
      fixture = await openIssuerFixture('sqlite');
      const { installation, licenseId } = await issueLicense(fixture.issuer);
      // The service's own handle on the file, whose check writer's nth sync fails (EIO); no sync
      // of a loaded disk counts as slow (which would send the next groups the pipelined way).
      const syncCounts = new Int32Array(new SharedArrayBuffer(8));
      const store = await openStore({
        dataDir: fixture.dataDir,
        checkWriterFaults: { failSyncAt: 2 * before + 1, syncCounts, idleSlowMs: 60_000 },
      });
      closing.push(store);
      const service = createVerifyService({
        store,
        statusKeys: await store.loadStatusSigningKeys(passphrase),
        logger: pino({ level: 'silent' }),
        config: { viewCacheTtlMs: 0 },
      });
      for (let i = 0; i < before; i++) {
        expect((await postCheck(service.app, checkFor(licenseId, installation))).status).toBe(200);
        expect(await service.drain(Date.now() + 5_000)).toBe(0);
      }
      const recorded = (await fixture.issuer.listChecks(licenseId)).length;

      const refused = checkFor(licenseId, installation);
      const answer = await postCheck(service.app, refused);
      expect(answer.status).toBe(503);
      expect(errorOf(answer).code).toBe('ERR_STORE_UNAVAILABLE');
      expect(service.recorder.buffered).toBe(0);
      expect(await service.drain(Date.now() + 5_000)).toBe(0);
      expect(await fixture.issuer.listChecks(licenseId)).toHaveLength(recorded);
      expect({ idle: syncCounts[0], pipelined: syncCounts[1] }).toEqual(syncsThen);

      // Never admitted twice: another instance on the store refuses the same request.
      const other = createVerifyService({
        store: fixture.store,
        statusKeys: await fixture.store.loadStatusSigningKeys(passphrase),
        logger: pino({ level: 'silent' }),
        config: { viewCacheTtlMs: 0 },
      });
      const again = await postCheck(other.app, refused);
      expect(errorOf(again).code).toBe('ERR_CHECK_REPLAYED');

      const next = await postCheck(service.app, checkFor(licenseId, installation));
      expect(next.status).toBe(200);
      const keyring = Keyring.fromJwks(await fixture.issuer.keys.exportJwks());
      expect(verifyStatus(next.text, keyring).claims.outcome).toBe('VALID');
      expect(await service.drain(Date.now() + 5_000)).toBe(0);
      expect((await fixture.issuer.listChecks(licenseId)).map((c) => c.outcome)).toEqual(
        Array(recorded + 1).fill('VALID'),
      );
    },
  );
});
