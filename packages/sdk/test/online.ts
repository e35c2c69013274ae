// Online-check fixtures: an installation holding a license and a small verify server in the
// test that knows it. Servers are closed after each test by closeServers().
import type { LicenseModel } from '@licensor/token';
import { admin, answer, setup, term } from './fixtures.js';
import { startVerifyServer, type VerifyServer } from './verify-server.js';

const servers: VerifyServer[] = [];

export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.close()));
}

/** An installation with a license (default: a subscription of 365 days, 14 days grace) and a verify server that knows it. */
export async function licensedOnline(model: LicenseModel = 'subscription') {
  const context = setup();
  const server = await startVerifyServer(context.clock);
  servers.push(server);
  const { challenge } = await context.licensor.createChallenge(admin, { model });
  server.register(challenge);
  const start = context.clock.seconds;
  const applied = await context.licensor.applyLicenseKey(
    admin,
    answer(challenge, model === 'subscription' ? { model, term: term(start, 365, 14) } : { model }),
  );
  return { ...context, server, challenge, start, licenseId: applied.licenseId, url: server.url };
}

/** A subscription of 365 days with 14 days grace, and its verify server. */
export const subscribed = () => licensedOnline('subscription');
