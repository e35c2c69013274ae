#!/usr/bin/env node
// `pnpm start`: runs Licensor on the embedded store. The first run creates the data folder, the
// signing keys and a first admin (its password is printed once); later runs simply start. A
// restored store (licensor.db, keys/, no marker) starts with its own users and secrets.
// The portal and the verify service run as child processes; Ctrl-C stops both cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWithProgress, busyMessage, busyPorts } from './start-checks.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.LICENSOR_DATA ?? join(root, '.licensor-data'));
const portalPort = Number(process.env.LICENSOR_PORTAL_PORT ?? 4000);
const verifyPort = Number(process.env.LICENSOR_VERIFY_PORT ?? 4001);
const bins = {
  issuer: join(root, 'packages/issuer/bin/licensor-issuer.js'),
  portal: join(root, 'apps/issuer-portal/bin/licensor-portal.js'),
  verify: join(root, 'packages/verify-service/bin/licensor-verify.js'),
};
// With MONGODB_URI the store is MongoDB; --data still names where unsealed key files live.
const store = ['--data', dataDir];

// Both ports first: a second `pnpm start` stops here, naming what is taken, before it builds,
// creates anything or claims to be running.
const services = [
  { name: 'the portal', port: portalPort, variable: 'LICENSOR_PORTAL_PORT' },
  { name: 'the verify service', port: verifyPort, variable: 'LICENSOR_VERIFY_PORT' },
];
const busy = await busyPorts(services);
if (busy.length > 0) {
  console.error(busyMessage(busy, services));
  process.exit(1);
}
// `pnpm start` builds first, with progress; the e2e tests run this script on a built tree.
if (process.argv.includes('--build')) {
  const code = await buildWithProgress(root);
  if (code !== 0) process.exit(code);
}

// Custody by role: license keys are sealed under the issuing secret, status keys under the
// service's. A new data folder gets two random secrets, kept outside it (0600 files in
// LICENSOR_SECRETS, default ./.licensor-secrets); the portal and the CLI get both, the verify
// service only its own. Secrets set in the environment win. A data folder made before this, with
// plain key files, keeps running as it is.
const secretsDir = resolve(process.env.LICENSOR_SECRETS ?? join(root, '.licensor-secrets'));
const marker = join(dataDir, '.initialised');
// A store in the folder without the marker: a restored backup (licensor.db and keys/; the marker
// is not part of it) or a first run stopped half-way. Its keys are sealed under the secrets they
// were made with: new random ones would open none of them, so none are made for it.
const existingStore = !process.env.MONGODB_URI && existsSync(join(dataDir, 'licensor.db'));
const SECRETS = [
  { variable: 'LICENSOR_KEY_PASSPHRASE', file: 'issuing.passphrase', purpose: 'license' },
  { variable: 'LICENSOR_STATUS_KEY_PASSPHRASE', file: 'status.passphrase', purpose: 'status' },
];
function givenSecret({ variable, file }) {
  if (process.env[variable]) return process.env[variable];
  const path = join(secretsDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  return undefined;
}
function newSecret({ file }) {
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(24).toString('base64url');
  writeFileSync(join(secretsDir, file), `${value}\n`, { mode: 0o600 });
  return value;
}
const given = SECRETS.map(givenSecret);
let makeSecrets = !existsSync(marker);
if (makeSecrets && existingStore && given.includes(undefined)) {
  // Only keys sealed under a secret that is missing stop it: plain key files need none.
  const keys = JSON.parse(
    runIssuer(['keys', 'list', '--json'], {
      ...process.env,
      LICENSOR_KEY_PASSPHRASE: '',
      LICENSOR_STATUS_KEY_PASSPHRASE: '',
    }),
  );
  const lacking = SECRETS.filter(
    (s, i) =>
      given[i] === undefined &&
      keys.some((key) => key.purpose === s.purpose && key.protection === 'encrypted'),
  );
  if (lacking.length > 0) {
    console.error(
      `${join(dataDir, 'licensor.db')} is an existing store (a restored backup?) whose signing keys are sealed, and\n` +
        lacking
          .map((s) => `  ${s.variable} is not set and ${join(secretsDir, s.file)} does not exist\n`)
          .join('') +
        'New random secrets would open none of its keys: none were made, and no marker was written.\n' +
        "Point LICENSOR_SECRETS at the folder holding this store's issuing.passphrase and\n" +
        'status.passphrase (kept apart from its backup), or set LICENSOR_KEY_PASSPHRASE and\n' +
        'LICENSOR_STATUS_KEY_PASSPHRASE, and run it again.',
    );
    process.exit(1);
  }
  // Its keys are plain files (made without secrets): it runs as it is, as a folder made before them.
  makeSecrets = false;
}
const [issuingSecret, statusSecret] = SECRETS.map(
  (s, i) => given[i] ?? (makeSecrets ? newSecret(s) : ''),
);
const issuingEnv = {
  ...process.env,
  LICENSOR_KEY_PASSPHRASE: issuingSecret,
  LICENSOR_STATUS_KEY_PASSPHRASE: statusSecret,
};
const verifyEnv = {
  ...process.env,
  LICENSOR_KEY_PASSPHRASE: '',
  LICENSOR_STATUS_KEY_PASSPHRASE: statusSecret,
};

function runIssuer(args, env) {
  const run = spawnSync(process.execPath, [bins.issuer, ...store, ...args], {
    encoding: 'utf8',
    env,
  });
  // Warnings (such as private keys kept unsealed without a passphrase) are for the user to see.
  if (run.stderr) process.stderr.write(run.stderr);
  if (run.status !== 0) {
    if (!run.stderr) process.stderr.write(run.stdout);
    console.error(
      `licensor-issuer ${args.join(' ')} failed (exit ${run.status}); nothing was started.`,
    );
    process.exit(1);
  }
  return run.stdout;
}
const issuer = (args, env = {}) => runIssuer(args, { ...issuingEnv, ...env });

let firstRun = null;
if (!existsSync(marker)) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // On a store already there (a restored backup) `init` makes no key: it checks that the secrets
  // open the sealed keys (ERR_PASSPHRASE_WRONG otherwise) before anything else is written.
  issuer(['init']);
  // The first admin only for a store without users: a restored store keeps its own.
  const users = JSON.parse(issuer(['users', 'list', '--json']));
  if (users.length === 0) {
    const password = randomBytes(12).toString('base64url');
    // One-time: the portal asks for the admin's own password at the first login.
    issuer(['users', 'add', 'admin', '--role', 'admin', '--one-time'], {
      LICENSOR_USER_PASSWORD: password,
    });
    firstRun = { user: 'admin', password };
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}
const jwksFile = join(dataDir, 'jwks.json');
writeFileSync(jwksFile, issuer(['keys', 'export']));

// Quiet by default, so the banner stays on screen: LOG_LEVEL=info shows every request.
const logLevel = process.env.LOG_LEVEL ?? 'warn';
const children = [
  spawn(process.execPath, [bins.portal, 'serve', '--port', String(portalPort), ...store], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...issuingEnv, LOG_LEVEL: logLevel },
  }),
  spawn(process.execPath, [bins.verify, 'serve', '--port', String(verifyPort), ...store], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...verifyEnv, LOG_LEVEL: logLevel },
  }),
];

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 10_000).unref();
  if (signal) console.log(`\n${signal}: stopping the portal and the verify service...`);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
let exited = 0;
for (const child of children) {
  child.on('exit', (code) => {
    exited += 1;
    if (!stopping) {
      console.error(
        `a Licensor process exited (code ${code}); stopping the other. Its error is above; if a port was taken meanwhile, set LICENSOR_PORTAL_PORT (now ${portalPort}) and LICENSOR_VERIFY_PORT (now ${verifyPort}) to free ones.`,
      );
      process.exitCode = 1;
      stop();
    }
    if (exited === children.length) process.exit(process.exitCode ?? 0);
  });
}

// The banner (and the first-run password) once both services answer, so that it is the last
// thing on the screen at start and never claims a service that failed to listen.
async function answers(url) {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}
const deadline = Date.now() + 60_000;
while (!stopping && Date.now() < deadline) {
  const up = await Promise.all([
    answers(`http://127.0.0.1:${portalPort}/api/v1/health`),
    answers(`http://127.0.0.1:${verifyPort}/healthz`),
  ]);
  if (up.every(Boolean)) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
if (!stopping) {
  console.log(`
Licensor is running (data: ${process.env.MONGODB_URI ? 'MongoDB' : dataDir})
  issuer portal   http://127.0.0.1:${portalPort}/
  portal API      http://127.0.0.1:${portalPort}/api/v1/openapi.json
  verify service  http://127.0.0.1:${verifyPort}/v1/checks
  JWKS for the CMS (what the SDK trusts): ${jwksFile}`);
  if (issuingSecret) {
    // Where each secret came from: the environment wins over the files (givenSecret), and then
    // the files may not exist at all: name what was really used.
    const fromEnv = SECRETS.map((s) => Boolean(process.env[s.variable]));
    const source = (i) =>
      fromEnv[i]
        ? `the secret in ${SECRETS[i].variable} (from this shell's environment)`
        : join(secretsDir, SECRETS[i].file);
    console.log(`  Signing keys are sealed: license keys under ${source(0)},
  status keys under ${source(1)} (the verify service gets only that one).`);
    if (fromEnv.some(Boolean)) {
      console.log(
        `  The environment's secrets win over ${secretsDir}${
          firstRun ? ': this new store is sealed under them; keep them with it' : ''
        }.`,
      );
    }
    const exports = SECRETS.filter((_, i) => !fromEnv[i]).map(
      (s) => `    export ${s.variable}="$(cat ${join(secretsDir, s.file)})"`,
    );
    if (exports.length > 0) {
      console.log(`  For licensor-issuer on this folder, in its shell:\n${exports.join('\n')}`);
    }
  }
  if (firstRun) {
    console.log(`
  First run: log in to the portal as "${firstRun.user}" with password ${firstRun.password}
  (shown once and one-time: the portal asks for your own at the first login. If it is lost, reset it with
  npx -y pnpm@10.34.9 exec licensor-issuer --data ${dataDir} users set-password admin)`);
  }
  console.log('\nCtrl-C stops both.\n');
}
