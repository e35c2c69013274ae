// What `pnpm start` does before it starts anything: the build, with progress (the first one
// takes minutes and must not look hung), and a check of both ports, so that a second `pnpm
// start` says which port is taken and which variables move it, instead of starting half-way.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** The ports of `services` that something already listens on (127.0.0.1, as the services bind). */
export async function busyPorts(services) {
  const busy = [];
  for (const service of services) {
    const free = await new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(service.port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) busy.push(service);
  }
  return busy;
}

/** One message naming every taken port and every variable that moves one. */
export function busyMessage(busy, services) {
  const taken = busy.map((s) => `port ${s.port} (${s.name}) is in use`).join(', and ');
  const variables = services.map((s) => `${s.variable}=${s.port + 10}`).join(' ');
  return `Licensor cannot start: ${taken}; another Licensor (or another program) listens there.
Stop it, or start on other ports, e.g.: ${variables} pnpm start
(That one serves the same store as the Licensor already running. For a separate one, also set
LICENSOR_DATA and LICENSOR_SECRETS to folders of its own.)`;
}

const TURBO_BUILD = ['pnpm', 'exec', 'turbo', 'run', 'build', '--output-logs=full'];

/**
 * `turbo run build` with one line per package as it builds; on failure, the build's output.
 * Resolves with turbo's exit code. (`command` is for tests.)
 */
export function buildWithProgress(
  root,
  write = (text) => process.stdout.write(text),
  command = TURBO_BUILD,
) {
  write('Building Licensor (the first build takes a few minutes; later ones reuse it)...\n');
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const seen = new Set();
    const started = Date.now();
    const onData = (chunk) => {
      const text = chunk.toString('utf8');
      output += text;
      for (const match of text.matchAll(/^(@licensor\/[\w-]+):build: cache (hit|miss)/gm)) {
        const [, name, cache] = match;
        if (seen.has(name)) continue;
        seen.add(name);
        write(`  ${name.padEnd(28)}${cache === 'hit' ? 'up to date' : 'building...'}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      if (code === 0) {
        write(`Built in ${Math.round((Date.now() - started) / 1000)} s.\n`);
      } else {
        write(`${output}\nThe build failed (exit ${code}); the output is above.\n`);
      }
      resolve(code ?? 1);
    });
  });
}
