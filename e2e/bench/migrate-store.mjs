// Opens a SQLite store once, as the issuer opens it (which migrates it to the newest schema),
// and reports how long that took: the figure an operator upgrading a large store needs
// (docs/deploying.md). `node e2e/bench/migrate-store.mjs DIR`.

import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStore } from '@licensor/issuer/store';
import { machine } from '../../bench/kit.mjs';

const dir = resolve(process.argv[2] ?? '');
const file = join(dir, 'licensor.db');
const sizeOf = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};
const before = { machine: machine(), at: new Date().toISOString(), bytes: sizeOf(file) };
const cpu = process.cpuUsage();
const started = performance.now();
const store = await openStore({ dataDir: dir });
const openedMs = performance.now() - started;
await store.close();
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify(
    {
      ...before,
      openAndMigrateSeconds: Number((openedMs / 1000).toFixed(1)),
      withCloseSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(1)),
      bytesAfter: sizeOf(file),
      walBytesAfter: sizeOf(`${file}-wal`),
      loadAverageAfter: machine().loadAverage1m,
    },
    null,
    2,
  ),
);
