// An open-loop load: requests are due at a fixed rate whatever the answers do, spread evenly
// over time, on at most `connections` keep-alive connections (a request waits for a free one).
// Each latency runs from the moment the request was due, so a stalled server is charged for
// the requests it held back (no coordinated omission). autocannon's own overallRate sends a
// second's requests in one burst, which measures the burst, not the service.
// Beside the latencies it reports this process's own event-loop delay (`generatorEld`): a tail
// the generator made itself (its loop late to send or to read) shows there, not in the server's.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export async function pacedLoad(url, { connections, rate, seconds, nextToken }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL('/v1/checks', url);
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  let sent = 0;
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  /** The non-2xx answers by status code. */
  const statuses = {};
  const start = performance.now();

  await new Promise((resolve) => {
    const finished = new Uint8Array(total);
    // A request that failed (refused, reset) is an error, not a latency: its quick failure
    // must not flatter the percentiles.
    const finishOne = (index, due, outcome) => {
      if (finished[index] === 1) return;
      finished[index] = 1;
      if (outcome === 'ok') latencies[index] = performance.now() - due;
      else latencies[index] = Number.NaN;
      if (outcome !== 'ok' && outcome !== 'error') {
        non2xx++;
        statuses[outcome] = (statuses[outcome] ?? 0) + 1;
      }
      if (outcome === 'error') errors++;
      if (++done === total) resolve();
    };
    const send = (index, due) => {
      const body = nextToken();
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/jose', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            finishOne(index, due, res.statusCode === 200 ? 'ok' : res.statusCode),
          );
          res.on('error', () => finishOne(index, due, 'error'));
          res.on('aborted', () => finishOne(index, due, 'error'));
        },
      );
      req.on('error', () => finishOne(index, due, 'error'));
      req.end(body);
    };
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate));
      while (sent < due) {
        send(sent, start + (sent * 1000) / rate);
        sent++;
      }
      if (sent === total) clearInterval(timer);
    }, 1);
  });
  agent.destroy();
  eld.disable();

  const elapsedSeconds = (performance.now() - start) / 1000;
  const answered = latencies.filter((x) => !Number.isNaN(x)).sort();
  const at = (q) =>
    answered.length === 0
      ? null
      : Math.round(answered[Math.min(answered.length - 1, Math.floor(q * answered.length))] * 10) /
        10;
  const eldMs = (x) => Math.round(x / 1e4) / 100;
  return {
    rps: Math.round(total / elapsedSeconds),
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    generatorEld: { p99: eldMs(eld.percentile(99)), max: eldMs(eld.max) },
    requests: total,
    non2xx,
    ...(non2xx > 0 ? { statuses } : {}),
    errors,
  };
}
