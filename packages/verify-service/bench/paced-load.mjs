// An open-loop load: requests are due at a fixed rate whatever the answers do, spread evenly
// over time, on at most `connections` keep-alive connections (a request waits for a free one).
// Each latency runs from the moment the request was due, so a stalled server is charged for
// the requests it held back (no coordinated omission). autocannon's own overallRate sends a
// second's requests in one burst, which measures the burst, not the service.
import { Agent, request } from 'node:http';

export async function pacedLoad(url, { connections, rate, seconds, nextToken }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL('/v1/checks', url);
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();

  await new Promise((resolve) => {
    const finishOne = (index, due, ok) => {
      latencies[index] = performance.now() - due;
      if (!ok) non2xx++;
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
          res.on('end', () => finishOne(index, due, res.statusCode === 200));
        },
      );
      req.on('error', () => {
        errors++;
        finishOne(index, due, false);
      });
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

  const elapsedSeconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort();
  const at = (q) => Math.round(sorted[Math.min(total - 1, Math.floor(q * total))] * 10) / 10;
  return {
    rps: Math.round(total / elapsedSeconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    requests: total,
    non2xx: non2xx - errors,
    errors,
  };
}
