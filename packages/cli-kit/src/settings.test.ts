import { describe, expect, it } from 'vitest';
import {
  envSetting,
  logLevelValue,
  parseLogLevel,
  pickSetting,
  switchSetting,
  switchValue,
} from './settings.js';
import { isUsageError } from './usage-error.js';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isUsageError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('a setting from an option or a variable', () => {
  it('takes the option over the variable, and names where the value came from', () => {
    expect(pickSetting({ port: '80' }, 'port', { PORT: '90' }, 'PORT')).toEqual({
      value: '80',
      name: '--port',
    });
    expect(pickSetting({}, 'port', { PORT: '90' }, 'PORT')).toEqual({ value: '90', name: 'PORT' });
  });

  it('counts a variable set to the empty string as unset, and drops the spaces around one', () => {
    expect(pickSetting({}, 'port', { PORT: '' }, 'PORT')).toBeUndefined();
    expect(pickSetting({}, 'port', {}, 'PORT')).toBeUndefined();
    expect(pickSetting({}, 'port', { PORT: ' 90 ' }, 'PORT')).toEqual({
      value: '90',
      name: 'PORT',
    });
    expect(envSetting({ A: '' }, 'A')).toBeUndefined();
    expect(envSetting({ A: ' x' }, 'A')).toBe(' x');
  });

  it('refuses an option given an empty value rather than reading it as the default', () => {
    expect(refusal(() => pickSetting({ host: ' ' }, 'host', { HOST: 'a' }, 'HOST'))).toBe(
      '--host must not be empty; leave it out for the default',
    );
  });
});

describe('a switch', () => {
  it.each([
    ['on', true],
    ['TRUE', true],
    [' yes ', true],
    ['1', true],
    ['Off', false],
    ['false', false],
    ['no', false],
    ['0', false],
  ])('reads %j as %s', (text, on) => {
    expect(switchValue(text, 'X', !on)).toBe(on);
    expect(switchSetting({ X: text }, 'X', !on)).toBe(on);
  });

  it('is its default when unset or empty', () => {
    expect(switchSetting({}, 'X', true)).toBe(true);
    expect(switchSetting({ X: '' }, 'X', false)).toBe(false);
  });

  it('refuses any other word, naming the variable, the words and the default', () => {
    expect(refusal(() => switchSetting({ X: 'enabled' }, 'X', false))).toBe(
      'X must be on, true, yes, 1 or off, false, no, 0 (any case; default off); got "enabled"',
    );
  });
});

describe('a log level', () => {
  it("reads pino's names in any case, and warning as warn", () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel(' warning ')).toBe('warn');
    expect(logLevelValue('silent', 'LOG_LEVEL')).toBe('silent');
  });

  it('refuses anything else, naming the levels; never a name inherited from Object', () => {
    expect(parseLogLevel('constructor')).toBeNull();
    expect(refusal(() => logLevelValue('verbose', '--log-level'))).toBe(
      '--log-level must be one of fatal, error, warn, info, debug, trace, silent (any case; warning = warn); got "verbose"',
    );
  });
});
