// The issuer on a SQLite store in a process whose files may not grow past a size (the disk-full
// test runs it under `ulimit -f`, then lifts the limit with prlimit: disk space freed). It
// answers one JSON line per command read from stdin:
//   issue-until-full  issues until a write fails: {acknowledged: [license ids], error: {code, message}}
//   issue             one issue: {licenseId} or {error}
//   checks            records 200 check records: {ok: true} or {error}
//   count             {licenses: n}
// Usage: node disk-full.mjs DATA_DIR
import { createInterface } from 'node:readline';
import { openIssuer } from '../../dist/index.js';
import { freshChallenge } from '../../dist/seed.js';
import { openStore } from '../../dist/store.js';

const store = await openStore({ dataDir: process.argv[2] });
const issuer = await openIssuer({ store, passphrase: '' });
let checks = 0;

const issueOne = async () => {
  const { license } = await issuer.issue(
    freshChallenge({ product: { name: 'disk-full', version: '1.0.0' }, validForSeconds: 3600 }),
    {
      customerName: `Customer ${Math.random().toString(36).slice(2)}`,
      model: 'perpetual',
      credentials: 10,
    },
    'alice',
  );
  return license.id;
};

const errorOf = (error) => ({ code: error.code ?? 'none', message: String(error.message) });

const commands = {
  async 'issue-until-full'() {
    const acknowledged = [];
    for (let i = 0; i < 100_000; i++) {
      try {
        acknowledged.push(await issueOne());
      } catch (error) {
        return { acknowledged, error: errorOf(error) };
      }
    }
    return { acknowledged, error: null };
  },
  async issue() {
    try {
      return { licenseId: await issueOne() };
    } catch (error) {
      return { error: errorOf(error) };
    }
  },
  async checks() {
    const batch = Array.from({ length: 200 }, () => ({
      id: `chk_df_${checks++}`,
      at: Date.now(),
      licenseId: 'lic_x',
      installationId: 'inst',
      sdkVersion: '1.0.0',
      credentialsInUse: 1,
      outcome: 'VALID',
    }));
    try {
      await store.recordChecks(batch);
      return { ok: true };
    } catch (error) {
      return { error: errorOf(error) };
    }
  },
  async count() {
    return { licenses: (await store.listLicenses({ limit: 10_000 })).length };
  },
};

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  process.stdout.write(`${JSON.stringify(await commands[line]())}\n`);
}
await store.close();
process.stdin.destroy();
