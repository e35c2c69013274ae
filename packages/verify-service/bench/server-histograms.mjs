// The service's own figures from its /metrics: the check latency (first byte to answer) and each
// check's wait for its nonce to be stored, as cumulative histogram buckets (summed over the
// workers of a cluster). Scraped before and after a run, the difference gives that run's
// percentiles, as the upper bound (ms) of the bucket each falls in, and the mean (ms, from the
// histogram's sum): beside the client's own
// latency, it shows what the disk and what the load generator add.
const families = {
  serverMs: 'licensor_verify_check_duration_seconds',
  nonceStoreMs: 'licensor_verify_nonce_store_seconds',
};

export async function scrapeHistograms(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = {};
  for (const [key, name] of Object.entries(families)) {
    const buckets = new Map();
    const pattern = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm');
    for (const [, le, value] of text.matchAll(pattern)) {
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + Number(value));
    }
    let sum = 0;
    for (const [, value] of text.matchAll(
      new RegExp(`^${name}_sum(?:\\{[^}]*\\})? (\\S+)$`, 'gm'),
    )) {
      sum += Number(value);
    }
    buckets.sum = sum;
    out[key] = buckets;
  }
  // The nonces the replay guard holds (every worker's): what its memory grows with.
  let nonces = 0;
  for (const [, value] of text.matchAll(/^licensor_verify_replay_nonces(?:\{[^}]*\})? (\S+)$/gm)) {
    nonces += Number(value);
  }
  out.replayNonces = nonces;
  return out;
}

/** Percentiles of what was observed between two scrapes, by bucket upper bound (ms). */
export function histogramDelta(after, before) {
  const out = {};
  for (const key of Object.keys(families)) {
    const bounds = [...after[key].keys()].sort((a, b) => a - b);
    const counts = bounds.map((b) => after[key].get(b) - (before?.[key]?.get(b) ?? 0));
    const total = counts.at(-1) ?? 0;
    const at = (q) => {
      const i = counts.findIndex((c) => c >= q * total);
      return i === -1 || total === 0
        ? null
        : bounds[i] === Number.POSITIVE_INFINITY
          ? 'inf'
          : bounds[i] * 1000;
    };
    // The mean, from the histogram's sum: finer than the buckets' bounds.
    const sum = after[key].sum - (before?.[key]?.sum ?? 0);
    const mean = total === 0 ? null : Math.round((sum / total) * 1e6) / 1e3;
    out[key] = { count: total, mean, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999) };
  }
  return out;
}
