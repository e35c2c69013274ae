// The service under load: `serve()` from the built package on the embedded store, exactly as
// `licensor-verify serve --data DIR` runs it (check logging on, records batched), except that
// the rate limits are lifted so that one load generator may send thousands of checks a second
// (the limiter still runs on every request). Logs go to stdout, which the bench discards.
import { serve } from '../dist/index.js';

const lifted = { burst: 1e12, perSecond: 1e12 };
const running = await serve({
  port: 0,
  host: '127.0.0.1',
  dataDir: process.env.BENCH_DATA_DIR,
  passphrase: process.env.LICENSOR_KEY_PASSPHRASE,
  logLevel: 'info',
  config: { rateLimitPerIp: lifted, rateLimitPerInstallation: lifted, replayCacheSize: 1_000_000 },
});
process.send({ url: running.server.url });
process.on('SIGTERM', async () => {
  const unwritten = await running.shutdown('SIGTERM');
  process.send({ stopped: true, unwritten, written: running.service.recorder.flushed }, () =>
    process.exit(0),
  );
});
// The bench asks for the CPU time spent, to report CPU per request beside the rates.
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
