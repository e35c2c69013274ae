// A burst of issues on the built package, for the kill -9 test: issues with 8 in flight (or the
// second argument's number) until it is killed, printing "<transaction id> <challenge> <key>" for
// each key it was given back.
// Usage: node burst.mjs '<openStore options as JSON>' [in flight]

import { openIssuer, openStore } from '../../dist/index.js';
import { freshChallenge } from '../../dist/seed.js';

const store = await openStore(JSON.parse(process.argv[2]));
const issuer = await openIssuer({ store, passphrase: '' });
await issuer.init('burst');
process.stdout.write('READY\n');

const challenge = () =>
  freshChallenge({ product: { name: 'burst', version: '1.0.0' }, validForSeconds: 3600 });

async function worker(index) {
  for (let n = 0; ; n++) {
    const text = challenge();
    const terms = { customerName: `Burst ${index}`, model: 'perpetual', credentials: 1 + (n % 50) };
    const result = await issuer.issue(text, terms, `burst-${index}`);
    process.stdout.write(`${result.transaction.id} ${text} ${result.token}\n`);
  }
}

await Promise.all(
  Array.from({ length: Number(process.argv[3] ?? 8) }, (_, index) => worker(index)),
);
