// The Node generator's saturated run (autocannon): every connection sends its next request as
// soon as its answer arrives; `nextToken()` gives each request its body. Used by bench/run.mjs
// with `--loadgen node`, and by bench/generators.mjs beside the Go generator.
import autocannon from 'autocannon';

export async function autocannonLoad(url, connections, duration, nextToken) {
  const result = await autocannon({
    url: `${url}/v1/checks`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        setupRequest: (request) => ({ ...request, body: nextToken() }),
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
