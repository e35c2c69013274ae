import { describe, expect, it } from 'vitest';
import { WORKER_V8_FLAGS, workerExecArgv } from './cluster.js';

describe("the workers' node arguments", () => {
  it("are the primary's, then the service's V8 settings", () => {
    const primary = ['--enable-source-maps', '--import', '/opt/preload.mjs'];
    expect(workerExecArgv(primary)).toEqual([...primary, '--max-semi-space-size=64']);
    expect(WORKER_V8_FLAGS).toEqual(['--max-semi-space-size=64']);
  });

  it("leave a setting the operator gave in node's arguments as it is", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'])).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv(['--max_semi_space_size=8'])).toEqual(['--max_semi_space_size=8']);
  });

  it('leave a setting the operator gave in NODE_OPTIONS to NODE_OPTIONS', () => {
    expect(workerExecArgv([], '--max-old-space-size=512  --max-semi-space-size=16')).toEqual([]);
    expect(workerExecArgv([], '--max-old-space-size=512')).toEqual(['--max-semi-space-size=64']);
  });
});
