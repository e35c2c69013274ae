// The real binaries with the license key in SoftHSM2: `licensor-issuer keys rotate --use
// license --hsm` makes the key in the token, `licensor-issuer issue` signs there, and the real
// `licensor apply` accepts the key. Each failure of the HSM is a typed error on stderr (exit 1)
// and leaves the store as it was. Skipped where SoftHSM2 is absent, required in CI.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsm, type SoftHsm, softHsmSkipReason } from '../src/keys/pkcs11/softhsm.js';
import { ISSUER_BIN, runBinary, SDK_BIN } from './support/run-cli.js';

const skip = softHsmSkipReason();

describe.skipIf(skip !== null)('licensor-issuer with the license key in SoftHSM2', () => {
  let hsm: SoftHsm;
  let hsmEnv: Record<string, string>;
  const folders: string[] = [];
  const folder = (name: string) => {
    const path = mkdtempSync(join(tmpdir(), `licensor-hsm-${name}-`));
    folders.push(path);
    return path;
  };
  let data: string;
  let state: string;

  beforeAll(() => {
    hsm = createSoftHsm();
    hsmEnv = hsm.env('licensor-cli', hsm.initToken('licensor-cli', '8642'));
    data = folder('issuer');
    state = folder('sdk');
  });
  afterAll(() => {
    hsm?.remove();
    for (const path of folders) rmSync(path, { recursive: true, force: true });
  });

  const issuer = (args: string[], env: Record<string, string | undefined> = {}, stdin?: string) =>
    runBinary(ISSUER_BIN, ['--data', data, ...args], {
      env: {
        MONGODB_URI: undefined,
        LICENSOR_KEY_PASSPHRASE: 'hsm cli test passphrase',
        LICENSOR_STATUS_KEY_PASSPHRASE: 'hsm cli test status passphrase',
        ...hsmEnv,
        ...env,
      },
      ...(stdin === undefined ? {} : { stdin }),
    });
  const sdk = (args: string[]) => runBinary(SDK_BIN, ['--state', state, ...args], { env: {} });

  async function challenge(customer: string, trust: boolean): Promise<string> {
    const jwksFile = join(data, 'vendor.jwks.json');
    const exported = await issuer(['keys', 'export']);
    expect(exported.code, exported.stderr).toBe(0);
    writeFileSync(jwksFile, exported.stdout);
    const made = await sdk([
      'challenge',
      ...(trust ? ['--trust', jwksFile] : []),
      '--credentials',
      '30',
      '--customer',
      customer,
    ]);
    expect(made.code, made.stderr).toBe(0);
    return made.stdout;
  }

  const issueArgs = (customer: string) => [
    'issue',
    '-',
    '--customer',
    customer,
    '--credentials',
    '30',
    '--model',
    'perpetual',
  ];

  it('rotates the license key into the token and issues keys that licensor apply accepts', async () => {
    const init = await issuer(['init']);
    expect(init.code, init.stderr).toBe(0);
    const rotated = await issuer(['keys', 'rotate', '--use', 'license', '--hsm', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const key = JSON.parse(rotated.stdout);
    expect(key).toMatchObject({
      purpose: 'license',
      status: 'next',
      protection: 'pkcs11',
      hsm: { token: 'licensor-cli', label: expect.stringMatching(/^licensor-license-/) },
    });
    const activated = await issuer(['keys', 'activate', key.kid]);
    expect(activated.code, activated.stderr).toBe(0);
    const listed = await issuer(['keys', 'list']);
    expect(listed.stdout).toMatch(
      new RegExp(
        `${key.kid}\\s+license\\s+\\(vendor's\\)\\s+active\\s+pkcs11 \\(token licensor-cli\\)`,
      ),
    );

    const issued = await issuer(
      issueArgs('Bank of Tests'),
      {},
      await challenge('Bank of Tests', true),
    );
    expect(issued.code, issued.stderr).toBe(0);
    const token = issued.stdout.trim();
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', typ: 'licensor-license+jwt', kid: key.kid });
    const applied = await sdk(['apply', token]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse((await sdk(['show', '--json'])).stdout)).toMatchObject({
      state: 'active',
      customer: 'Bank of Tests',
      credentials: 30,
    });
  });

  it('a wrong PIN, a missing module, an absent token: exit 1, a typed error, nothing stored', async () => {
    const before = (await issuer(['licenses', 'list', '--json'])).stdout;
    const request = await challenge('Refused Ltd', false);
    const wrongPin = join(folder('pin'), 'pin');
    writeFileSync(wrongPin, '0000\n', { mode: 0o600 });
    const cases: [Record<string, string>, RegExp][] = [
      [
        { LICENSOR_PKCS11_PIN_FILE: wrongPin },
        /ERR_HSM_PIN: .*"licensor-cli".*LICENSOR_PKCS11_PIN_FILE/,
      ],
      [
        { LICENSOR_PKCS11_MODULE: join(data, 'missing.so') },
        /ERR_HSM_MODULE: .*LICENSOR_PKCS11_MODULE/,
      ],
      [{ LICENSOR_PKCS11_MODULE: '' }, /ERR_HSM_CONFIG: .*LICENSOR_PKCS11_MODULE/],
    ];
    for (const [env, message] of cases) {
      const refused = await issuer(issueArgs('Refused Ltd'), env, request);
      expect(refused.code, refused.stdout).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(message);
    }
    // The token a record names is the one used, whatever LICENSOR_PKCS11_TOKEN says; the
    // configuration only chooses where new keys go.
    const elsewhere = await issuer(['keys', 'rotate', '--hsm'], {
      LICENSOR_PKCS11_TOKEN: 'absent',
    });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(
      /ERR_HSM_TOKEN_MISSING: the HSM token "absent" is not present \(present: "licensor-cli"\)/,
    );
    expect((await issuer(['licenses', 'list', '--json'])).stdout).toBe(before);
    const keys = JSON.parse((await issuer(['keys', 'list', '--json'])).stdout);
    expect(keys.filter((k: { purpose: string }) => k.purpose === 'license')).toHaveLength(2);
  });
});
