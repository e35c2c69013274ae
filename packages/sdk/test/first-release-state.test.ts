// A state folder written by the FIRST RELEASE's SDK (commit ade2e9c, the `licensor` CLI of
// @licensor/sdk 0.1.0), committed as it was written (fixtures/first-release-state/README.md says
// how it was made). The current SDK must read it, show the license it holds, verify its audit
// trail, and carry it on: a license key already in a customer's hands stays valid forever. The
// tests work on a copy; the fixture's bytes are pinned, so it is never regenerated or edited.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLicensor } from '../src/licensor.js';
import { FileStore } from '../src/store/file-store.js';
import { admin, answer, FrozenClock, golden, term } from './fixtures.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/first-release-state/', import.meta.url));

/** The files of the state folder, as the first release wrote them (sha256). */
const PINNED: Record<string, string> = {
  'installation-key.json': 'b25f5336b863bb2f996635115e86f5f76b175bc5bb50554abab0ba8af0b8a768',
  'state.json': '4b1f1d096a96ab82749e411f69c59c72c06d197eb714c647070e0e8bb82a8622',
  'audit.jsonl': '9c480f71ccc8b4c642875461d86d380afc32112abde48bdce6c64267a099d1b4',
  'trust.jwks.json': '9152c666a4699b038f7610b9c84178e9bb4acf46ca2e81f7b08d599b45434c45',
  // Not part of the folder: what the first release's `licensor show --json` printed after apply.
  'show.first-release.json': '5f7c8e1887d4ca1ad02514c39f7df6beb53faca54bf3ccaba94db97903e53caf',
};
const STATE_FILES = ['installation-key.json', 'state.json', 'audit.jsonl', 'trust.jwks.json'];

/** What the first release made (README.md): the license it applied and the request it left. */
const MADE = {
  installationId: 'rREXr3sTIV05USG4aCmp8TWdv6DdvC1c7Q9_C1YpyWk',
  licenseId: 'lic_AaI8Bnrim8Gkli40iZM-fg',
  transactionId: 'txn_AaI8BnrgThFaAWqZaQNb3Q',
  customerId: 'cus_AaI8BnrihCvq13gToWrCuw',
  issuedAt: 1796303387,
  appliedAt: 1796303389,
  modelSwitchRequest: 'chl_5Ih5gKI8TLv5w-FYldTNxw',
  modelSwitchExpiresAt: 1798895392,
  /** Lines in audit.jsonl, none chained (the first release had no audit chain). */
  auditEntries: 7,
};

const firstReleaseShow = JSON.parse(
  readFileSync(join(FIXTURE, 'show.first-release.json'), 'utf8'),
) as Record<string, unknown>;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A copy of the folder in a directory of its own, opened by the current SDK with the golden
 * vendor keys and a clock ten minutes after the license's issue time. Git does not keep file
 * modes: the key file is made 0600 again, as FileStore requires (ERR_KEY_FILE_INSECURE).
 */
function copyOfFirstRelease(edit?: (name: string, bytes: Buffer) => Buffer) {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-first-release-'));
  for (const name of STATE_FILES) {
    const bytes = readFileSync(join(FIXTURE, name));
    writeFileSync(join(dir, name), edit === undefined ? bytes : edit(name, bytes));
  }
  chmodSync(join(dir, 'installation-key.json'), 0o600);
  const clock = new FrozenClock(MADE.issuedAt + 600);
  const open = () =>
    createLicensor({
      store: new FileStore(dir),
      trust: golden.jwks,
      product: { name: 'CMS', version: '5.2.0' },
      now: clock.now,
    });
  const file = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { dir, clock, open, file, licensor: open() };
}

describe('a state folder written by the first release (ade2e9c)', () => {
  it('is in the repository byte for byte as the first release wrote it', () => {
    for (const [name, digest] of Object.entries(PINNED)) {
      expect({ name, digest: sha256(join(FIXTURE, name)) }).toEqual({ name, digest });
    }
    // The trust file the first release saved beside the state is the golden vendor JWKS.
    expect(JSON.parse(readFileSync(join(FIXTURE, 'trust.jwks.json'), 'utf8'))).toEqual(golden.jwks);
    // Written by the first release: a format 1 state, without a seal or an audit anchor.
    const state = JSON.parse(readFileSync(join(FIXTURE, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ format: 'licensor-sdk-state', v: 1 });
    expect(state).not.toHaveProperty('seal');
    expect(state).not.toHaveProperty('audit');
  });

  it('shows the license the first release applied, and the model switch it asked for', async () => {
    const { licensor } = copyOfFirstRelease();
    const info = await licensor.getLicenseInfo(admin);
    expect(info).toMatchObject({
      state: 'active',
      stateReason: null,
      installationId: MADE.installationId,
      type: 'perpetual',
      customer: 'Acme Corporation',
      customerId: MADE.customerId,
      licenseId: MADE.licenseId,
      revision: 1,
      credentials: 100,
      issuedAt: MADE.issuedAt,
      appliedAt: MADE.appliedAt,
      transactionId: MADE.transactionId,
      term: null,
      lastVerifyTime: null,
      pendingModelSwitch: 'subscription',
      keysetVersion: 0,
      features: [],
      limits: [],
    });
    expect(info.pendingRequests).toMatchObject([
      {
        id: MADE.modelSwitchRequest,
        kind: 'model-switch',
        expiresAt: MADE.modelSwitchExpiresAt,
        requestedBy: 'alice',
      },
    ]);
    expect(info.clock.rollbackDetected).toBe(false);
    // Every field the first release's `show --json` printed reads the same now.
    const same = [
      'state',
      'stateReason',
      'installationId',
      'product',
      'type',
      'customer',
      'customerId',
      'licenseId',
      'revision',
      'credentials',
      'issuedAt',
      'appliedAt',
      'transactionId',
      'lastVerifyTime',
      'lastVerifyResult',
      'lastCheckAttempt',
      'term',
      'usableUntil',
      'checkBy',
    ] as const;
    for (const field of same) {
      expect({ field, value: info[field] }).toEqual({ field, value: firstReleaseShow[field] });
    }
    await expect(licensor.assertCanManage(99)).resolves.toBeUndefined();
    await expect(licensor.assertCanManage(100)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
    });
  });

  it("verifies its audit trail: the first release's entries count as unchained", async () => {
    const { licensor, file } = copyOfFirstRelease();
    const verification = await licensor.verifyAudit(admin);
    expect(verification).toEqual({
      ok: true,
      entries: MADE.auditEntries,
      unchained: MADE.auditEntries,
      firstBroken: null,
      unanchored: 0,
      torn: [],
    });
    // The old lines are kept as written: new entries are appended after them.
    const oldLines = readFileSync(join(FIXTURE, 'audit.jsonl'), 'utf8');
    expect(file('audit.jsonl').startsWith(oldLines)).toBe(true);
  });

  // The store hands back a first-release line with `trusted`, `prev` and `link` null; the listing
  // once took a null link for a chained entry and answered ERR_STATE_CORRUPT ("restore from a
  // backup") on every upgraded installation.
  it("lists its audit trail, the first release's entries first", async () => {
    const { licensor } = copyOfFirstRelease();
    const entries = await licensor.listAudit(admin);
    expect(entries.slice(0, MADE.auditEntries).map((entry) => entry.action)).toEqual([
      'challenge',
      'apply',
      'view',
      'view',
      'activate',
      'requests',
      'audit',
    ]);
    expect(entries[1]).toMatchObject({
      outcome: 'ok',
      link: null,
      detail: `license ${MADE.licenseId} revision 1, transaction ${MADE.transactionId}`,
    });
  });

  it('seals the state at the next change, and the trail still holds', async () => {
    const disk = copyOfFirstRelease();
    expect(JSON.parse(disk.file('state.json'))).not.toHaveProperty('seal');
    const { challenge } = await disk.licensor.createChallenge(admin);
    const state = JSON.parse(disk.file('state.json'));
    expect(state).toMatchObject({ format: 'licensor-sdk-state', v: 2 });
    expect(state.seal).toEqual(expect.any(String));
    expect(state.audit.head).toEqual(expect.any(String));
    expect(JSON.parse(disk.file('installation-key.json'))).toMatchObject({ sealed: true });
    expect(await disk.licensor.verifyAudit(admin)).toMatchObject({
      ok: true,
      unchained: MADE.auditEntries,
      firstBroken: null,
      unanchored: 0,
    });

    // Another process reads the sealed state; a renewed key answering the new challenge applies.
    const reopened = disk.open();
    expect((await reopened.getLicenseInfo(admin)).pendingRequests).toHaveLength(2);
    const renewed = await reopened.applyLicenseKey(
      admin,
      answer(challenge, {
        credentials: 150,
        customer: { id: MADE.customerId, name: 'Acme Corporation' },
      }),
    );
    expect(renewed.info).toMatchObject({
      state: 'active',
      licenseId: MADE.licenseId,
      revision: 2,
      credentials: 150,
      customerId: MADE.customerId,
    });
    expect(await disk.open().verifyAudit(admin)).toMatchObject({
      ok: true,
      unchained: MADE.auditEntries,
      firstBroken: null,
      unanchored: 0,
    });
    expect(JSON.parse(disk.file('state.json')).seal).not.toBe(state.seal);
  });

  it('switches to the subscription that answers the model-switch challenge the first release made', async () => {
    const { licensor, clock } = copyOfFirstRelease();
    const [request] = (await licensor.getLicenseInfo(admin)).pendingRequests;
    const key = answer(request!.challenge, {
      credentials: 100,
      customer: { id: MADE.customerId, name: 'Acme Corporation' },
      term: term(clock.seconds, 365, 14),
    });
    const result = await licensor.applyLicenseKey(admin, key);
    expect(result.answeredChallenge).toBe(MADE.modelSwitchRequest);
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'subscription',
      licenseId: MADE.licenseId,
      revision: 2,
      pendingModelSwitch: null,
      pendingRequests: [],
    });
    expect(await licensor.verifyAudit(admin)).toMatchObject({ ok: true, firstBroken: null });
  });

  it('refuses the copy with one character of its stored license token changed', async () => {
    // The token's payload says `"credentials":100` in base64url; one character changed there.
    const { licensor, file } = copyOfFirstRelease((name, bytes) => {
      if (name !== 'state.json') return bytes;
      const text = bytes.toString('utf8');
      const state = JSON.parse(text);
      const payload: string = state.license.token.split('.')[1];
      const at = payload.length - 10;
      const flipped = `${payload.slice(0, at)}${payload[at] === 'A' ? 'B' : 'A'}${payload.slice(at + 1)}`;
      return Buffer.from(text.replace(payload, flipped), 'utf8');
    });
    const before = file('state.json');
    expect(before).not.toBe(readFileSync(join(FIXTURE, 'state.json'), 'utf8'));
    await expect(licensor.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(file('state.json')).toBe(before);
  });

  it('leaves the fixture in the repository as it was', () => {
    for (const [name, digest] of Object.entries(PINNED)) {
      expect({ name, digest: sha256(join(FIXTURE, name)) }).toEqual({ name, digest });
    }
  });
});
