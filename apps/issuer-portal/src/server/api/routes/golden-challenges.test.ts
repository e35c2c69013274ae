// Challenges in customers' hands stay answerable: the literal golden challenge of the first
// format (committed in @licensor/token, never signed again here) is inspected and answered by
// the portal with a first-format key, and a challenge of a format newer than this build reads
// is refused by its version, nothing written.
import { createRequire } from 'node:module';
import {
  armour,
  Keyring,
  keyPairFromSeed,
  signCompactJwsWith,
  signerFromKeyPair,
  verifyLicense,
} from '@licensor/token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  type LoggedIn,
  loginAs,
  makePortal,
  PERPETUAL_TERMS,
  storeState,
} from '../../../../test/helpers.js';

interface GoldenToken {
  token: string;
  hash: string;
  claims: Record<string, unknown> & { iat: number; sub: string };
}
const golden = createRequire(import.meta.url)('@licensor/token/golden') as {
  challenge: GoldenToken;
  keys: { installation: { seedBase64url: string; kid: string } };
};

let fixture: Fixture;
let issuer: LoggedIn;
const post = (path: string, body: object) =>
  issuer.agent.post(`/api/v1/challenges/${path}`).set('X-CSRF-Token', issuer.csrf).send(body);

beforeEach(async () => {
  fixture = await makePortal();
  // A minute after the golden challenge was made: within its 30 days.
  fixture.clock.now = (golden.challenge.claims.iat + 60) * 1000;
  issuer = await loginAs(fixture, 'ivan');
});
afterEach(async () => {
  await fixture.close();
});

describe('the golden challenges', () => {
  it('inspects the literal first-format challenge, armoured, and answers it with a first-format key bound to it', async () => {
    const pasted = armour(golden.challenge.token, 'challenge');
    const inspected = await post('inspect', { challenge: pasted }).expect(200);
    expect(JSON.stringify(inspected.body)).toContain(golden.challenge.claims.sub);
    const issued = await post('issue', { challenge: pasted, terms: PERPETUAL_TERMS }).expect(201);
    const jwks = await fixture.issuer.keys.exportJwks();
    const license = verifyLicense(issued.body.licenseKey, Keyring.fromJwks(jwks));
    expect(license.claims).toMatchObject({
      v: 1,
      sub: golden.challenge.claims.sub,
      chal: golden.challenge.hash,
    });
  });

  it('refuses a challenge of format 3 by its version (ERR_VERSION_UNSUPPORTED), nothing written', async () => {
    const installation = keyPairFromSeed(
      Buffer.from(golden.keys.installation.seedBase64url, 'base64url'),
    );
    // The golden challenge's own header (its key), over the same claims as format 3.
    const header = JSON.parse(
      Buffer.from(golden.challenge.token.split('.')[0] as string, 'base64url').toString('utf8'),
    );
    const newer = await signCompactJwsWith(
      header,
      { ...golden.challenge.claims, v: 3 },
      signerFromKeyPair(installation),
      64 * 1024,
    );
    const before = await storeState(fixture);
    for (const path of ['inspect', 'issue']) {
      const refused = await post(path, { challenge: newer, terms: PERPETUAL_TERMS }).expect(422);
      expect(refused.body.error.code).toBe('ERR_VERSION_UNSUPPORTED');
      expect(refused.body.error.message).toMatch(/\b3\b/);
    }
    expect(await storeState(fixture)).toEqual(before);
  });
});
