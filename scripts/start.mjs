#!/usr/bin/env node
// `pnpm start`: runs Licensor on the embedded store. The first run creates the data folder, the
// signing keys and a first admin (its password is printed once); later runs simply start.
// The portal and the verify service run as child processes; Ctrl-C stops both cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

function issuer(args, env = {}) {
  const run = spawnSync(process.execPath, [bins.issuer, ...store, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  // Warnings (such as private keys kept unsealed without a passphrase) are for the user to see.
  if (run.stderr) process.stderr.write(run.stderr);
  if (run.status !== 0) {
    if (!run.stderr) process.stderr.write(run.stdout);
    throw new Error(`licensor-issuer ${args[0]} failed (exit ${run.status})`);
  }
  return run.stdout;
}

const marker = join(dataDir, '.initialised');
let firstRun = null;
if (!existsSync(marker)) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  issuer(['init']);
  const password = randomBytes(12).toString('base64url');
  issuer(['users', 'add', 'admin', '--role', 'admin'], { LICENSOR_USER_PASSWORD: password });
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  firstRun = { user: 'admin', password };
}
const jwksFile = join(dataDir, 'jwks.json');
writeFileSync(jwksFile, issuer(['keys', 'export']));

// Quiet by default, so the banner stays on screen: LOG_LEVEL=info shows every request.
const childEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
const children = [
  spawn(process.execPath, [bins.portal, 'serve', '--port', String(portalPort), ...store], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: childEnv,
  }),
  spawn(process.execPath, [bins.verify, 'serve', '--port', String(verifyPort), ...store], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: childEnv,
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
        `a Licensor process exited (code ${code}); stopping the other. A port in use? Set LICENSOR_PORTAL_PORT and LICENSOR_VERIFY_PORT to others.`,
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
  if (firstRun) {
    console.log(`
  First run: log in to the portal as "${firstRun.user}" with password ${firstRun.password}
  (shown once: change it in the portal under Change password. If it is lost, reset it with
  npx -y pnpm@10.34.9 exec licensor-issuer --data ${dataDir} users set-password admin)`);
  }
  console.log('\nCtrl-C stops both.\n');
}
