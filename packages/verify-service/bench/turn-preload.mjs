// Preloaded into a server under test (bench/generators.mjs): how its event loop's turns carry
// the load. A turn is timed from the first request or answer the loop handles in it to the
// setImmediate that closes it (the check phase of the same loop iteration), and counts the
// requests it read ('request' events) and the answers it wrote (`res.end`): a group of checks
// answered in one turn shows as a turn with many answers, and what its freed connections send
// back at once as a turn with many requests. Reported on the 'turns' message, reset on
// 'turns-reset'.
import { Server, ServerResponse } from 'node:http';

const emit = Server.prototype.emit;
const end = ServerResponse.prototype.end;
let open = false;
let started = 0;
let requests = 0;
let answers = 0;
let turns = [];

function closeTurn() {
  turns.push([performance.now() - started, requests, answers]);
  open = false;
  requests = 0;
  answers = 0;
}

function mark() {
  if (open) return;
  open = true;
  started = performance.now();
  setImmediate(closeTurn);
}

Server.prototype.emit = function emitCounted(event, ...rest) {
  if (event === 'request') {
    mark();
    requests++;
  }
  return emit.call(this, event, ...rest);
};
ServerResponse.prototype.end = function endCounted(...rest) {
  mark();
  answers++;
  return end.apply(this, rest);
};

function summary() {
  const at = (values, q) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
  const column = (k) => turns.map((t) => t[k]).sort((a, b) => a - b);
  const lengths = column(0);
  const reqs = column(1);
  const ans = column(2);
  const total = (k) => turns.reduce((sum, t) => sum + t[k], 0);
  const round = (x) => Math.round(x * 100) / 100;
  const busyMs = total(0);
  return {
    turns: turns.length,
    lengthMs: {
      p50: round(at(lengths, 0.5)),
      p99: round(at(lengths, 0.99)),
      p999: round(at(lengths, 0.999)),
      max: round(lengths.at(-1)),
    },
    // The share of the turns' time spent in turns of 5 ms or more.
    shareOfTimeIn5msTurns: round(
      turns.filter((t) => t[0] >= 5).reduce((sum, t) => sum + t[0], 0) / busyMs,
    ),
    requestsPerTurn: { p50: at(reqs, 0.5), p99: at(reqs, 0.99), max: reqs.at(-1) },
    answersPerTurn: { p50: at(ans, 0.5), p99: at(ans, 0.99), max: ans.at(-1) },
    // The share of requests read in a turn that read 20 or more of them.
    shareOfRequestsIn20PlusTurns: round(
      turns.filter((t) => t[1] >= 20).reduce((sum, t) => sum + t[1], 0) / Math.max(1, total(1)),
    ),
  };
}

process.on('message', (message) => {
  if (message === 'turns-reset') turns = [];
  if (message === 'turns') process.send({ turns: turns.length === 0 ? null : summary() });
});
