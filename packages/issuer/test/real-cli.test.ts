// "Done when": a challenge made by the real `licensor challenge` becomes, through the real
// `licensor-issuer issue`, a key that the real `licensor apply` accepts with the JWKS from
// `licensor-issuer keys export`, on the SQLite store and on MongoDB. Then the model switch
// (`licensor activate` → inspect → approve → apply) through the same binaries.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mongoAdapter, unavailableSuite } from './support/adapters.js';
import { dropDatabase, uniqueDatabaseUri } from './support/mongo-uri.js';
import { ISSUER_BIN, runBinary, SDK_BIN } from './support/run-cli.js';

const mongoUri = process.env.MONGODB_URI ?? '';
const mongo = mongoAdapter();
const stores: {
  name: string;
  env: Record<string, string | undefined>;
  cleanup: () => Promise<void>;
}[] = [{ name: 'sqlite', env: { MONGODB_URI: undefined }, cleanup: async () => {} }];
if (mongo.unavailable === null) {
  const { uri, dbName } = uniqueDatabaseUri(mongoUri, 'licensor_cli');
  stores.push({
    name: 'mongo',
    env: { MONGODB_URI: uri },
    cleanup: () => dropDatabase(mongoUri, dbName),
  });
} else {
  unavailableSuite(mongo, 'real CLIs on mongo');
}

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  for (const store of stores) await store.cleanup();
});

function folder(name: string): string {
  const path = mkdtempSync(join(tmpdir(), `licensor-${name}-`));
  folders.push(path);
  return path;
}

it('has the built binaries to run', () => {
  expect(
    existsSync(join(ISSUER_BIN, '..', '..', 'dist', 'cli.js')),
    'build @licensor/issuer first',
  ).toBe(true);
  expect(existsSync(join(SDK_BIN, '..', '..', 'dist', 'cli.js')), 'build @licensor/sdk first').toBe(
    true,
  );
});

for (const store of stores) {
  describe(`real CLIs on ${store.name}`, () => {
    const data = folder('issuer');
    const state = folder('sdk');
    const env = {
      ...store.env,
      LICENSOR_KEY_PASSPHRASE: 'e2e passphrase for the test',
      LICENSOR_STATUS_KEY_PASSPHRASE: 'e2e status passphrase for the test',
    };
    const issuer = (args: string[], stdin?: string) =>
      runBinary(ISSUER_BIN, ['--data', data, ...args], {
        env,
        ...(stdin === undefined ? {} : { stdin }),
      });
    const sdk = (args: string[]) => runBinary(SDK_BIN, ['--state', state, ...args], { env: {} });
    const jwksFile = join(data, 'vendor.jwks.json');

    it('issues a key from a real challenge that licensor apply accepts', async () => {
      expect((await issuer(['init'])).code).toBe(0);
      const exported = await issuer(['keys', 'export']);
      expect(exported.code).toBe(0);
      writeFileSync(jwksFile, exported.stdout);

      const challenge = await sdk([
        'challenge',
        '--trust',
        jwksFile,
        '--credentials',
        '40',
        '--customer',
        'Acme Corp',
      ]);
      expect(challenge.code, challenge.stderr).toBe(0);
      const issued = await issuer(
        ['issue', '-', '--customer', 'Acme Corp', '--credentials', '40', '--model', 'perpetual'],
        challenge.stdout,
      );
      expect(issued.code, issued.stderr).toBe(0);
      const key = issued.stdout.trim();
      expect(key.split('.')).toHaveLength(3);

      const applied = await sdk(['apply', key]);
      expect(applied.code, applied.stderr).toBe(0);
      const shown = JSON.parse((await sdk(['show', '--json'])).stdout);
      expect(shown).toMatchObject({
        state: 'active',
        type: 'perpetual',
        customer: 'Acme Corp',
        credentials: 40,
        revision: 1,
      });

      // Issuing again for the same challenge gives the same key; the record has one license.
      const again = await issuer(
        ['issue', '-', '--customer', 'Acme Corp', '--credentials', '40', '--model', 'perpetual'],
        challenge.stdout,
      );
      expect(again.stdout.trim()).toBe(key);
      const licenses = JSON.parse((await issuer(['licenses', 'list', '--json'])).stdout);
      expect(licenses).toHaveLength(1);
      expect(licenses[0].id).toBe(shown.licenseId);
    });

    it('switches the model through activate, approve and apply', async () => {
      const activate = await sdk(['activate', 'subscription']);
      expect(activate.code, activate.stderr).toBe(0);
      const inspected = await issuer(['inspect', '-', '--json'], activate.stdout);
      expect(inspected.code, inspected.stderr).toBe(0);
      const request = JSON.parse(inspected.stdout).approvalRequest;
      expect(request).toMatchObject({ kind: 'model-switch', status: 'pending' });
      const approved = await issuer(['approve', request.id, '--term-days', '365']);
      expect(approved.code, approved.stderr).toBe(0);
      const applied = await sdk(['apply', approved.stdout.trim()]);
      expect(applied.code, applied.stderr).toBe(0);
      const shown = JSON.parse((await sdk(['show', '--json'])).stdout);
      expect(shown).toMatchObject({ type: 'subscription', revision: 2 });
    });
  });
}
