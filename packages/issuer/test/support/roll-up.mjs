// A roll-up of check records on the built package, for the kill -9 test: rolls up in small
// batches and prints "WROTE" each time a batch's roll-ups are written (before its raw records
// are dropped), until it is killed. Usage: node roll-up.mjs '<openStore options as JSON>' NOW KEEP_MS

import { openStore } from '../../dist/store.js';

const [options, now, keepMs] = process.argv.slice(2);
const store = await openStore(JSON.parse(options));
process.stdout.write('READY\n');
await store.rollUpChecks({
  now: Number(now),
  keepMs: Number(keepMs),
  batchSize: 20,
  afterRollUpWrite: () => process.stdout.write('WROTE\n'),
});
process.stdout.write('DONE\n');
await store.close();
