// SoftHSM2 (a PKCS#11 token in files) for tests and for trying HSM custody without hardware:
// a configuration and token folder in a temporary directory (SOFTHSM2_CONF), tokens made with
// `softhsm2-util`. Debian: `apt-get install softhsm2`.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MODULE_PATHS = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

export function softHsmModulePath(): string | null {
  const named = process.env.SOFTHSM2_MODULE;
  if (named !== undefined && named !== '') return existsSync(named) ? named : null;
  return MODULE_PATHS.find((path) => existsSync(path)) ?? null;
}

/** Why SoftHSM2 cannot be used here, or null when it can. */
export function softHsmUnavailable(): string | null {
  if (softHsmModulePath() === null) {
    return 'SoftHSM2 is not installed (no libsofthsm2.so): `apt-get install softhsm2`, or set SOFTHSM2_MODULE';
  }
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util is not on PATH: `apt-get install softhsm2`';
  }
  return null;
}

/**
 * For test suites: null when SoftHSM2 can be used; otherwise the reason to skip, printed once.
 * With LICENSOR_REQUIRE_SOFTHSM=1 (CI) a missing SoftHSM2 throws instead: the suite must run.
 */
export function softHsmSkipReason(): string | null {
  const reason = softHsmUnavailable();
  if (reason === null) return null;
  if (process.env.LICENSOR_REQUIRE_SOFTHSM === '1') {
    throw new Error(`LICENSOR_REQUIRE_SOFTHSM=1 but ${reason}`);
  }
  console.warn(`SoftHSM2 suite skipped: ${reason}`);
  return reason;
}

export interface SoftHsm {
  /** The folder holding the configuration and the tokens. */
  dir: string;
  /** Path to give SOFTHSM2_CONF (read by the module when it is initialised). */
  conf: string;
  modulePath: string;
  /** Initialises a token; returns the path of a 0600 file holding its user PIN. */
  initToken(label: string, pin: string, soPin?: string): string;
  /** LICENSOR_PKCS11_* and SOFTHSM2_CONF for a token made by initToken. */
  env(label: string, pinFile: string): Record<string, string>;
  remove(): void;
}

export function createSoftHsm(): SoftHsm {
  const modulePath = softHsmModulePath();
  if (modulePath === null) throw new Error(softHsmUnavailable() ?? 'SoftHSM2 is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'licensor-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  return {
    dir,
    conf,
    modulePath,
    initToken(label, pin, soPin = `so-${pin}`) {
      execFileSync(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin],
        { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' },
      );
      const pinFile = join(dir, `${label}.pin`);
      writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
      chmodSync(pinFile, 0o600);
      return pinFile;
    },
    env(label, pinFile) {
      return {
        SOFTHSM2_CONF: conf,
        LICENSOR_PKCS11_MODULE: modulePath,
        LICENSOR_PKCS11_TOKEN: label,
        LICENSOR_PKCS11_PIN_FILE: pinFile,
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
