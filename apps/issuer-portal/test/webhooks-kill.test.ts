// kill -9 of the portal in the middle of webhook deliveries loses nothing: the real
// `licensor-portal serve` sends a backlog to a slow receiver, is killed with SIGKILL, and a new
// process delivers the rest (and re-sends what was in flight, which the receiver drops by id).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { afterEach, describe, expect, it } from 'vitest';
import { makeChallenge, newInstallation, PERPETUAL_TERMS, START } from './helpers.js';
import { TestReceiver } from './webhook-receiver.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/licensor-portal.js');
const children: ChildProcess[] = [];
let dataDir = '';
let receiver: TestReceiver | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await receiver?.down();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

function serve(): ChildProcess {
  const { MONGODB_URI: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir], {
    env: { ...env, LICENSOR_WEBHOOK_TIMEOUT_MS: '1500', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks and kill -9', () => {
  it('a portal killed mid-delivery loses no event: a new process delivers every one', async () => {
    if (!existsSync(resolve(bin, '../../dist/cli.js'))) {
      throw new Error('dist/cli.js is missing: run `pnpm --filter @licensor/issuer-portal build`.');
    }
    dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-kill-'));
    receiver = new TestReceiver();
    receiver.serial = true;
    receiver.delayMs = 150;
    await receiver.up();
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    receiver.secret = secret;

    const store = await openStore({ dataDir });
    const clock = { now: START };
    const issuer = await openIssuer({ store, now: () => Date.now() });
    await issuer.init('test');
    await store.automation.insertWebhookEndpoint({
      id: 'whe_kill_test',
      url: receiver.url,
      description: '',
      events: ['license.issued'],
      secret,
      enabled: true,
      createdAt: Date.now(),
      createdBy: 'test',
      updatedAt: Date.now(),
    });
    clock.now = Date.now();
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const issued = await issuer.issue(
        makeChallenge({ clock }, newInstallation()),
        PERPETUAL_TERMS,
        'test',
      );
      expected.push(`msg_${issued.transaction.id.slice(4)}`);
    }
    await store.close();

    const first = serve();
    await until(() => receiver!.deliveries.length >= 3, 20_000, 'the first deliveries');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const beforeRestart = receiver.events.size;
    expect(beforeRestart).toBeLessThan(expected.length);

    // Let the receiver finish with what the dead process sent: what it never answered is lost
    // in flight, and only the store still knows it is due.
    await new Promise((r) => setTimeout(r, 12 * receiver!.delayMs));
    expect(receiver.abandoned.length).toBeGreaterThan(0);
    expect(receiver.events.size).toBeLessThan(expected.length);

    serve();
    await until(() => receiver!.events.size >= expected.length, 30_000, 'every event');
    expect([...receiver.events.keys()].sort()).toEqual([...expected].sort());
    expect(receiver.forged).toEqual([]);
  }, 60_000);
});
