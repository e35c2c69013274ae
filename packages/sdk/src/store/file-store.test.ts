import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, setup } from '../../test/fixtures.js';
import { AUDIT_FILE, FileStore, KEY_FILE, LOCK_FILE, STATE_FILE } from './file-store.js';

function stateDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'licensor-store-')), 'state');
}

async function licensedDir() {
  const dir = stateDir();
  const { licensor } = setup({ store: new FileStore(dir) });
  const { challenge } = await licensor.createChallenge(admin);
  await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
  return dir;
}

function fresh(dir: string) {
  return setup({ store: new FileStore(dir), clock: new FrozenClock() }).licensor;
}

describe('FileStore', () => {
  it('keeps the private key readable by its owner only, and the directory private', async () => {
    const dir = await licensedDir();
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, STATE_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('replaces the state whole and leaves no temporary file behind', async () => {
    const dir = await licensedDir();
    expect(readdirSync(dir).sort()).toEqual([AUDIT_FILE, KEY_FILE, STATE_FILE].sort());
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))).toMatchObject({
      format: 'licensor-sdk-state',
      v: 2,
      seal: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('refuses to replace an existing installation key', async () => {
    const dir = await licensedDir();
    await expect(new FileStore(dir).saveInstallationKey(new Uint8Array(32))).rejects.toMatchObject({
      code: 'ERR_STATE_FOREIGN',
    });
  });

  it('reports a corrupt state file and never resets it', async () => {
    const dir = await licensedDir();
    writeFileSync(join(dir, STATE_FILE), '{"format":"licensor-sdk-state", truncated');
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_CORRUPT',
    });
    await expect(fresh(dir).createChallenge(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_CORRUPT',
    });
    expect(readFileSync(join(dir, STATE_FILE), 'utf8')).toBe(
      '{"format":"licensor-sdk-state", truncated',
    );
  });

  it.each(['null', '[]', '5', '"state"'])(
    'reports a state file holding %s as corrupt, naming it, and never overwrites it',
    async (content) => {
      const dir = await licensedDir();
      const path = join(dir, STATE_FILE);
      writeFileSync(path, `${content}\n`);
      await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
        code: 'ERR_STATE_CORRUPT',
        message: expect.stringContaining(path),
      });
      await expect(fresh(dir).createChallenge(admin)).rejects.toMatchObject({
        code: 'ERR_STATE_CORRUPT',
      });
      expect(readFileSync(path, 'utf8')).toBe(`${content}\n`);
    },
  );

  it('turns file system errors into ERR_STATE_CORRUPT naming the path', async () => {
    const dir = await licensedDir();
    const path = join(dir, STATE_FILE);
    rmSync(path);
    mkdirSync(path);
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_CORRUPT',
      reason: 'EISDIR',
      message: expect.stringContaining(path),
    });
    const audit = join(dir, AUDIT_FILE);
    rmSync(audit);
    mkdirSync(audit);
    await expect(new FileStore(dir).loadAudit()).rejects.toMatchObject({
      code: 'ERR_STATE_CORRUPT',
      message: expect.stringContaining(audit),
    });
    await expect(
      new FileStore(dir).appendAudit({
        at: 1,
        operator: { id: 'alice', name: null, roles: [] },
        action: 'apply',
        outcome: 'ok',
        code: null,
        detail: null,
        trusted: 0,
        prev: null,
        link: 'x',
      }),
    ).rejects.toMatchObject({ code: 'ERR_STATE_CORRUPT', reason: 'EISDIR' });
  });

  it('refuses an audit line that is JSON but not an audit entry', async () => {
    const dir = await licensedDir();
    const path = join(dir, AUDIT_FILE);
    const whole = readFileSync(path, 'utf8');
    for (const line of ['5', 'null', '{"at":1}', '{"at":1,"operator":null,"action":"apply"}']) {
      writeFileSync(path, `${line}\n${whole}`);
      await expect(fresh(dir).listAudit(admin)).rejects.toMatchObject({
        code: 'ERR_STATE_CORRUPT',
        message: expect.stringContaining(`${path} line 1`),
      });
    }
  });

  it('reports a state file of some other program as foreign', async () => {
    const dir = await licensedDir();
    writeFileSync(join(dir, STATE_FILE), '{"name":"my-app","version":"1.0.0"}');
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_FOREIGN',
    });
  });

  it('reports a state file of another installation as foreign', async () => {
    const dir = await licensedDir();
    const other = await licensedDir();
    writeFileSync(join(dir, STATE_FILE), readFileSync(join(other, STATE_FILE)));
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_FOREIGN',
    });
  });

  it('detects an edited license token and refuses every operation, leaving the file as it is', async () => {
    const dir = await licensedDir();
    const path = join(dir, STATE_FILE);
    const state = JSON.parse(readFileSync(path, 'utf8'));
    const [header, payload, signature] = state.license.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.credentials = 100_000;
    state.license.token = [
      header,
      Buffer.from(JSON.stringify(claims)).toString('base64url'),
      signature,
    ].join('.');
    const tampered = JSON.stringify(state);
    writeFileSync(path, tampered);
    const licensor = fresh(dir);
    await expect(licensor.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
      reason: 'ERR_SIGNATURE_INVALID',
    });
    await expect(licensor.assertCanManage(50)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    await expect(licensor.createChallenge(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(readFileSync(path, 'utf8')).toBe(tampered);
  });

  it('detects a license token swapped in from another installation', async () => {
    const dir = await licensedDir();
    const other = await licensedDir();
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    state.license = JSON.parse(readFileSync(join(other, STATE_FILE), 'utf8')).license;
    writeFileSync(join(dir, STATE_FILE), JSON.stringify(state));
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
  });

  it('refuses to work without the key once a state exists', async () => {
    const dir = await licensedDir();
    writeFileSync(join(dir, KEY_FILE), '');
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_CORRUPT',
    });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, KEY_FILE));
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_INSTALLATION_KEY_MISSING',
    });
  });

  it('refuses a key file others can read', async () => {
    const dir = await licensedDir();
    chmodSync(join(dir, KEY_FILE), 0o644);
    await expect(fresh(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_KEY_FILE_INSECURE',
    });
  });

  it('reads an audit trail whose last line was torn by a crash, but not a damaged one', async () => {
    const dir = await licensedDir();
    const store = new FileStore(dir);
    const whole = readFileSync(join(dir, AUDIT_FILE), 'utf8');
    writeFileSync(join(dir, AUDIT_FILE), `${whole}{"at":17`);
    expect(await store.loadAudit()).toHaveLength(whole.trim().split('\n').length);
    writeFileSync(join(dir, AUDIT_FILE), `garbage\n${whole}`);
    await expect(store.loadAudit()).rejects.toMatchObject({ code: 'ERR_STATE_CORRUPT' });
  });

  it('appends after a torn last line on a line of its own: a refused apply leaves the trail whole and the state as it was', async () => {
    const dir = await licensedDir();
    const store = new FileStore(dir);
    const whole = readFileSync(join(dir, AUDIT_FILE), 'utf8');
    const count = whole.trim().split('\n').length;
    writeFileSync(join(dir, AUDIT_FILE), `${whole}{"at":17`);
    const state = readFileSync(join(dir, STATE_FILE), 'utf8');
    const licensor = fresh(dir);
    await expect(licensor.applyLicenseKey(admin, 'not-a-key')).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_/),
    });
    await licensor.getLicenseInfo(admin);
    expect(readFileSync(join(dir, STATE_FILE), 'utf8')).toBe(state);
    const lines = readFileSync(join(dir, AUDIT_FILE), 'utf8').split('\n');
    expect(lines[count]).toBe('{"at":17');
    expect(await store.loadAudit()).toHaveLength(count + 2);
    expect(await licensor.verifyAudit(admin)).toMatchObject({
      ok: true,
      entries: count + 2,
      torn: [count + 1],
    });
  });

  it('still finds an entry cut short by hand in the middle: the chain breaks at the entry after it', async () => {
    const dir = await licensedDir();
    await fresh(dir).getLicenseInfo(admin);
    const lines = readFileSync(join(dir, AUDIT_FILE), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    lines[1] = (lines[1] as string).slice(0, 20);
    writeFileSync(join(dir, AUDIT_FILE), `${lines.join('\n')}\n`);
    const result = await fresh(dir).verifyAudit(admin);
    expect(result).toMatchObject({ ok: false, torn: [2], firstBroken: { entry: 2 } });
    expect(result.firstBroken?.reason).toMatch(/deleted/);
  });
});

describe('FileStore lock', () => {
  it('breaks a lock left by a process that is gone', async () => {
    const dir = await licensedDir();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: 0 }),
    );
    await expect(fresh(dir).createChallenge(admin)).resolves.toMatchObject({
      challenge: expect.any(String),
    });
    expect(readdirSync(dir)).not.toContain(LOCK_FILE);
  });

  it('waits for a live holder and then says the state is locked', async () => {
    const dir = await licensedDir();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: hostname(), at: 0 }),
    );
    const licensor = setup({ store: new FileStore(dir, { lockTimeoutMs: 100 }) }).licensor;
    await expect(licensor.createChallenge(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_LOCKED',
    });
  });

  it('serialises two store objects on one directory, so no change is lost', async () => {
    const dir = await licensedDir();
    const one = fresh(dir);
    const two = fresh(dir);
    await Promise.all(
      [1, 2, 3, 4].flatMap(() => [one.createChallenge(admin), two.createChallenge(admin)]),
    );
    expect(await one.listPendingRequests(admin)).toHaveLength(8);
  });
});
