// The HSM's PIN is an issuing secret: the verify service's entry point refuses to open in a
// process that holds it, as it refuses the license keys' passphrase. The module path alone
// unlocks nothing and is allowed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckStore } from '../../checks.js';
import { openStore } from '../../store/open-store.js';

describe('the verify service and the HSM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensor-hsm-custody-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to open with the HSM PIN, or its file, in the environment', async () => {
    for (const variable of ['LICENSOR_PKCS11_PIN', 'LICENSOR_PKCS11_PIN_FILE']) {
      await expect(
        openCheckStore({ dataDir, env: { [variable]: '/run/secrets/pin' } }),
      ).rejects.toMatchObject({
        code: 'ERR_ISSUING_SECRET_EXPOSED',
        variable,
        message: expect.stringContaining(
          `${variable} is set in the environment of the verify service`,
        ),
      });
    }
  });

  it('opens with the module path and token label alone (no secret)', async () => {
    // The verify service opens a store the issuer made; it makes none.
    await (await openStore({ dataDir })).close();
    const store = await openCheckStore({
      dataDir,
      env: {
        LICENSOR_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
        LICENSOR_PKCS11_TOKEN: 't',
      },
    });
    await store.close();
  });
});
