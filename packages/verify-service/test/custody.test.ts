// Custody by role, tried as an attacker who holds the verify service would: start from the
// service's complete configuration (its data folder, its environment with the status secret,
// the store object it opens) and try every route to a license private key. Every route fails;
// the same search given the issuing secret (which the service never has) finds the key, which
// shows the search would see a key if one were reachable.
import { createDecipheriv, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_ROLE, openCheckStore } from '@licensor/issuer/checks';
import { keyPairFromSeed } from '@licensor/token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type IssuerFixture,
  issueLicense,
  issuingPassphrase,
  openIssuerFixture,
  passphrase as statusPassphrase,
} from './support/issuer-store.js';

let fixture: IssuerFixture;
let licenseKids: string[];
let licensePublicKeys: Set<string>;

beforeEach(async () => {
  fixture = await openIssuerFixture('sqlite');
  await issueLicense(fixture.issuer);
  // A rotation too: an older and a newer license key, both sealed.
  await fixture.issuer.keys.rotate('license', 'test');
  const keys = (await fixture.issuer.keys.list()).filter((k) => k.purpose === 'license');
  licenseKids = keys.map((k) => k.kid);
  licensePublicKeys = new Set(keys.map((k) => k.publicKey.x));
  expect(licenseKids.length).toBeGreaterThanOrEqual(2);
});

afterEach(async () => {
  await fixture.cleanup();
});

/** The verify service's complete configuration: its data folder and its environment. */
function serviceConfiguration() {
  return {
    dataDir: fixture.dataDir,
    env: { LICENSOR_STATUS_KEY_PASSPHRASE: statusPassphrase } as NodeJS.ProcessEnv,
  };
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

interface Sealed {
  salt: string;
  n: number;
  r: number;
  p: number;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** Every sealed blob written anywhere in these bytes (the SQLite pages keep TEXT as UTF-8). */
function sealedBlobsIn(text: string): Sealed[] {
  const found: Sealed[] = [];
  for (const match of text.matchAll(/\{"alg":"A256GCM\+scrypt"[^}]*\}/g)) {
    try {
      found.push(JSON.parse(match[0]) as Sealed);
    } catch {
      // a torn copy in a free page: not a blob
    }
  }
  return found;
}

/** The attacker's own scrypt: the AES key this secret gives for this blob. */
function keyFor(sealed: Sealed, secret: string): Buffer {
  return scryptSync(secret.normalize('NFC'), Buffer.from(sealed.salt, 'base64url'), 32, {
    N: sealed.n,
    r: sealed.r,
    p: sealed.p,
    maxmem: 256 * sealed.n * sealed.r + 1024 * 1024,
  });
}

/** AES-256-GCM: the seed, or undefined when the key (or the additional data) is wrong. */
function tryOpen(sealed: Sealed, key: Buffer, aad: string): Uint8Array | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    return new Uint8Array(
      Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext, 'base64url')),
        decipher.final(),
      ]),
    );
  } catch {
    return undefined;
  }
}

function isLicenseSeed(seed: Uint8Array): boolean {
  if (seed.length !== 32) return false;
  return licensePublicKeys.has(Buffer.from(keyPairFromSeed(seed).publicKey).toString('base64url'));
}

/** Every route through the data folder with these secrets: sealed blobs, plain seeds. */
function licenseKeysFromFolder(dataDir: string, secrets: string[]): number {
  const found = new Set<string>();
  const blobs = new Map<string, Sealed>();
  for (const file of filesUnder(dataDir)) {
    const text = readFileSync(file).toString('latin1');
    for (const sealed of sealedBlobsIn(text)) blobs.set(sealed.ciphertext, sealed);
    // Any 32-byte value written in base64url (a plain key file's seed, or anything else).
    for (const match of text.matchAll(/[A-Za-z0-9_-]{43}/g)) {
      const bytes = Buffer.from(match[0], 'base64url');
      if (bytes.length === 32 && isLicenseSeed(new Uint8Array(bytes))) found.add(match[0]);
    }
  }
  for (const sealed of blobs.values()) {
    for (const secret of secrets) {
      const key = keyFor(sealed, secret);
      for (const kid of licenseKids) {
        const seed = tryOpen(sealed, key, `licensor-signing-key:license:${kid}`);
        if (seed !== undefined && isLicenseSeed(seed)) found.add(kid);
      }
    }
  }
  return found.size;
}

describe('custody: from the verify service configuration, no route reaches a license private key', () => {
  it('the store object it opens has the check role and nothing else', async () => {
    const config = serviceConfiguration();
    const store = await openCheckStore(config);
    try {
      expect(Object.getPrototypeOf(store)).toBeNull();
      expect(Object.isFrozen(store)).toBe(true);
      expect(Reflect.ownKeys(store).sort()).toEqual([...CHECK_ROLE].sort());
      // logHealth (added to the role for /metrics) reads the log's counters and size: no record.
      expect(store.logHealth()).toMatchObject({ kind: 'sqlite', checkpointThread: 'running' });
      for (const name of [
        'commitTransaction',
        'insertSigningKey',
        'insertUser',
        'readPrivateKeys',
      ]) {
        expect(name in store).toBe(false);
      }
      // Its chains step, record forks and hold nonces; closing a fork and setting a fork policy
      // are the vendor's, in the portal with an audit entry.
      expect(Object.getPrototypeOf(store.chains)).toBeNull();
      for (const name of ['closeFork', 'setForkPolicy']) {
        expect(name in store.chains).toBe(false);
      }
      expect('admitNonce' in store.chains).toBe(true);
      // Its one key method, with every secret it can find, yields status keys only.
      for (const secret of [undefined, statusPassphrase, '']) {
        const pairs = await store.loadStatusSigningKeys(secret).catch(() => []);
        for (const pair of pairs) {
          expect(licenseKids).not.toContain(pair.kid);
          expect(isLicenseSeed(pair.privateKey)).toBe(false);
        }
      }
      expect((await store.loadStatusSigningKeys()).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('the data folder and the environment open no license key', () => {
    const config = serviceConfiguration();
    // Every secret the service's environment holds (its own, and any LICENSOR_* it inherits).
    const inherited = Object.entries(process.env)
      .filter(([name]) => name.startsWith('LICENSOR_'))
      .map(([, value]) => value);
    const secrets = [...new Set([...Object.values(config.env), ...inherited])].filter(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    expect(licenseKeysFromFolder(config.dataDir, secrets)).toBe(0);
    // The same search with the issuing secret finds the sealed license keys: it would see one.
    expect(licenseKeysFromFolder(config.dataDir, [issuingPassphrase])).toBeGreaterThanOrEqual(
      licenseKids.length,
    );
  });

  it('refuses to open when the issuing secret is in its environment', async () => {
    await expect(
      openCheckStore({
        dataDir: fixture.dataDir,
        env: { LICENSOR_KEY_PASSPHRASE: issuingPassphrase },
      }),
    ).rejects.toMatchObject({ code: 'ERR_ISSUING_SECRET_EXPOSED' });
  });

  it('the service imports the check entry point of the issuer package, nothing else of it', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const imports = filesUnder(src)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [
        ...readFileSync(file, 'utf8').matchAll(/from '(@licensor\/issuer[^']*)'/g),
      ])
      .map((match) => match[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(new Set(imports)).toEqual(new Set(['@licensor/issuer/checks']));
  });
});
