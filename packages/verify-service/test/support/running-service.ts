// A verify service answering on 127.0.0.1 over a real issuer's store, and a CMS (the real SDK)
// licensed by that issuer: the setup of the tests that drive the SDK's verifyOnline against it.
import type { Licensor } from '@licensor/sdk';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { VerifyConfig } from '../../src/config.js';
import { type RunningVerifyServer, startVerifyServer } from '../../src/server.js';
import { createVerifyService, type VerifyService } from '../../src/service.js';
import { type IssuerFixture, openIssuerFixture, passphrase } from './issuer-store.js';

export interface RunningService {
  fixture: IssuerFixture;
  service: VerifyService;
  running: RunningVerifyServer;
  /** Where the SDK posts its checks: `<url>/v1/checks`. */
  checksUrl: string;
  /** Stops the server now (an outage); the afterEach then only removes the store. */
  stop(): Promise<void>;
}

/**
 * Registers an afterEach that stops the service and removes the store; the answer starts one
 * (SQLite store, silent logs, `config` over the defaults) for the test that calls it.
 */
export function runningServiceEachTest(): (
  config?: Partial<VerifyConfig>,
) => Promise<RunningService> {
  let started: RunningService | undefined;
  afterEach(async () => {
    await started?.stop();
    await started?.fixture.cleanup();
    started = undefined;
  });
  return async (config = {}) => {
    const fixture = await openIssuerFixture();
    const service = createVerifyService({
      store: fixture.store,
      statusKeys: await fixture.store.loadStatusSigningKeys(passphrase),
      logger: pino({ level: 'silent' }),
      config,
    });
    const running = await startVerifyServer(service, { port: 0, host: '127.0.0.1' });
    const now: RunningService = {
      fixture,
      service,
      running,
      checksUrl: `${running.url}/v1/checks`,
      // The server's stop is once only: a second call waits for the first.
      stop: async () => {
        await running.stop();
      },
    };
    started = now;
    return now;
  };
}

/**
 * The CMS's first license: its challenge (made by `operator`) issued by the fixture's issuer as
 * a 30-day subscription for 50 credentials to Acme, and the key applied. Answers the license id.
 */
export async function licenseCms(
  fixture: IssuerFixture,
  licensor: Licensor,
  operator: Parameters<Licensor['createChallenge']>[0],
): Promise<string> {
  const { challenge } = await licensor.createChallenge(operator);
  const issued = await fixture.issuer.issue(
    challenge,
    { customerName: 'Acme', model: 'subscription', credentials: 50, termDays: 30 },
    'vendor',
  );
  await licensor.applyLicenseKey(operator, issued.token);
  return issued.license.id;
}
