// The subscription.expiring scan on a seeded store (`pnpm seed-data --licenses N --days 0 --data
// DIR`): times the first scan, then the next ones ten minutes apart on a moved clock, as the
// dispatcher runs them, and counts the licenses each read. Writes to the store (the outbox and
// the scan's mark): run it on a copy.
// With --changes N, N subscriptions of the window are suspended and resumed before each scan
// after the first (changed licenses are what a scan reads besides the new term ends).
//   node bench/expiring-scan.mjs --data DIR [--scans 3] [--changes 0] [--dist ../dist/index.js]
import { parseArgs } from 'node:util';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { pino } from 'pino';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    scans: { type: 'string', default: '3' },
    changes: { type: 'string', default: '0' },
    dist: { type: 'string', default: '../dist/index.js' },
  },
});
if (values.data === undefined) {
  process.stderr.write(
    'usage: node bench/expiring-scan.mjs --data DIR [--scans 3] [--dist PATH]\n',
  );
  process.exit(2);
}
const { createPortalApp } = await import(new URL(values.dist, import.meta.url).href);

const store = await openStore({ dataDir: values.data });
let read = 0;
const counted =
  (method) =>
  async (...args) => {
    const licenses = await store[method](...args);
    read += licenses.length;
    return licenses;
  };
// The store with its license reads counted (both the list by filter and the one by term end).
const watched = new Proxy(store, {
  get(target, property) {
    if (property === 'listLicenses' || property === 'listSubscriptionsEnding') {
      return counted(property);
    }
    const value = Reflect.get(target, property);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const clock = { now: Date.now() };
const now = () => clock.now;
// The portal's own dispatcher (the one `licensor-portal serve` runs), over the watched store.
const { webhooks: dispatcher } = createPortalApp({
  issuer: await openIssuer({ store: watched, now }),
  now,
  logger: pino({ level: 'silent' }),
  webRoot: null,
});
const issuer = await openIssuer({ store, now });
const changes = Number(values.changes);
const nowSeconds = Math.floor(clock.now / 1000);
const changing = await store.listSubscriptionsEnding(
  nowSeconds + 86_400,
  nowSeconds + 29 * 86_400,
  null,
  Math.max(1, changes * Number(values.scans)),
);
const rows = [];
for (let scan = 1; scan <= Number(values.scans); scan += 1) {
  if (scan > 1) {
    for (const license of changing.splice(0, changes)) {
      await issuer.suspend(license.id, 'bench', 'bench');
      await issuer.resume(license.id, 'bench');
    }
  }
  read = 0;
  const started = process.hrtime.bigint();
  const events = await dispatcher.scanExpiring();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rows.push({ scan, ms: Math.round(ms * 10) / 10, licensesRead: read, events });
  clock.now += 10 * 60_000 + 1;
}
console.table(rows);
console.log(JSON.stringify(rows));
await store.close();
