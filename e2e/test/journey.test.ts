// The seed page's journey over real HTTP between real processes: the SDK's CLI, the issuer's
// CLI, the portal and the verify service, on the embedded store and (when a server is there)
// on MongoDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cms } from '../src/cms.js';
import { type JourneyRecord, runJourney } from '../src/journey.js';
import { Product } from '../src/product.js';
import { mongoUriFor, quiet, tempDir } from './helpers.js';

const mongoBase = process.env.MONGODB_URI || undefined;
if (!mongoBase) {
  const message =
    'MongoDB journey skipped: set MONGODB_URI (scripts/ferretdb.sh starts a local FerretDB and prints it)';
  if (process.env.LICENSOR_REQUIRE_MONGO === '1')
    throw new Error(`${message}; LICENSOR_REQUIRE_MONGO=1 requires it`);
  console.warn(message);
}

const stores = [
  { name: 'SQLite', mongoUri: undefined as string | undefined },
  ...(mongoBase ? [{ name: 'MongoDB', mongoUri: mongoUriFor(mongoBase, 'journey') }] : []),
];

describe.each(stores)('the seed page journey on $name', ({ mongoUri }) => {
  const data = tempDir('journey');
  let product: Product;
  let record: JourneyRecord;

  beforeAll(async () => {
    product = await Product.start({
      dataDir: data.path,
      cacheTtlMs: 1000,
      ...(mongoUri ? { mongoUri } : {}),
    });
    const cms = new Cms(`${data.path}/cms`, product.jwksFile);
    record = await runJourney(product, cms, quiet);
  });
  afterAll(async () => {
    await product?.stop();
    data.remove();
  });

  it('upgrades the installation with the key the portal issued', () => {
    expect(record.afterUpgrade).toMatchObject({
      state: 'active',
      type: 'perpetual',
      customer: 'Acme Bank',
      licenseId: record.licenseId,
      credentials: 100,
    });
    expect(record.afterUpgrade.transactionId).toMatch(/^txn_/);
    expect(record.afterUpgrade.issuedAt).toBeGreaterThan(0);
  });

  it('records the service-signed time and result of Verify License', () => {
    expect(record.firstVerify.ok).toBe(true);
    expect(record.firstVerify.outcome).toBe('VALID');
    expect(record.firstVerify.info.lastVerifyResult).toBe('VALID');
    expect(record.firstVerify.info.lastVerifyTime).toBe(record.firstVerify.verifiedAt);
  });

  it('completes the switch to subscription only when Verify License delivers the approved token', () => {
    expect(record.switchVerify.appliedRevision).toBeGreaterThan(record.afterUpgrade.revision ?? 0);
    expect(record.afterSwitch.type).toBe('subscription');
    expect(record.afterSwitch.pendingModelSwitch).toBeNull();
    expect(record.afterSwitch.term?.end).toBeGreaterThan(
      record.afterSwitch.term?.start ?? Infinity,
    );
    expect(record.afterSwitch.licenseId).toBe(record.licenseId);
  });

  it('shows the revocation at the next Verify License and stops new credentials', () => {
    expect(record.revokedVerify.outcome).toBe('REVOKED');
    expect(record.afterRevoke.state).toBe('revoked');
    expect(record.afterRevoke.lastVerifyResult).toBe('REVOKED');
  });

  it('refuses to apply the first key again (replay)', async () => {
    const cms = new Cms(`${data.path}/cms`, product.jwksFile);
    const replay = await cms.tryUpgrade(record.firstKey);
    expect(replay.code).toBe(1);
    expect(JSON.parse(replay.stdout).error.code).toMatch(/^ERR_/);
  });
});
