import { describe, expect, it } from 'vitest';
import { environmentSource, isGiven, readSettings, settingsVariables, type SettingsSchema, type SettingsSource } from '../../lambdas/core/settings.js';

const SCHEMA = {
  name: { key: 'NAME', kind: 'string', required: true, doc: 'a required string' },
  note: { key: 'NOTE', kind: 'string', doc: 'an optional string' },
  mode: { key: 'MODE', kind: 'string', default: 'on', allowEmpty: true, doc: 'a string an empty value turns off' },
  size: { key: 'SIZE', kind: 'positiveInt', default: 100, doc: 'a positive integer' },
  slack: { key: 'SLACK', kind: 'nonNegativeInt', default: 5, doc: 'a non-negative integer' },
  fast: { key: 'FAST', kind: 'boolean', default: false, doc: 'a boolean' },
  policy: { key: 'POLICY', kind: 'enum', values: ['destroy', 'retain'], doc: 'one of two' },
  level: { key: 'LEVEL', kind: 'enum', values: ['DEBUG', 'INFO', 'WARN'], upperCase: true, default: 'INFO', doc: 'one of several, any case' },
  tags: { key: 'TAGS', kind: 'list', default: ['a', 'b'], doc: 'a list' },
} as const satisfies SettingsSchema;

const read = (environment: Record<string, string | undefined>) => readSettings(SCHEMA, environmentSource({ NAME: 'realtime', ...environment }));

/** A source with any JSON value, as CDK context gives them. */
function contextSource(context: Record<string, unknown>): SettingsSource {
  return { get: (key) => context[key], name: (key) => `context "${key}"` };
}

describe('readSettings', () => {
  it('gives every default, and undefined for an optional setting left unset', () => {
    expect(read({})).toEqual({ name: 'realtime', note: undefined, mode: 'on', size: 100, slack: 5, fast: false, policy: undefined, level: 'INFO', tags: ['a', 'b'] });
  });

  it('reads every kind from strings', () => {
    const settings = read({ NOTE: 'hi', MODE: 'custom', SIZE: '7', SLACK: '0', FAST: 'true', POLICY: 'retain', LEVEL: 'debug', TAGS: ' x , y,z ' });
    expect(settings).toEqual({ name: 'realtime', note: 'hi', mode: 'custom', size: 7, slack: 0, fast: true, policy: 'retain', level: 'DEBUG', tags: ['x', 'y', 'z'] });
  });

  it('reads numbers and booleans as JSON gives them', () => {
    const settings = readSettings(SCHEMA, contextSource({ NAME: 'realtime', SIZE: 12, SLACK: 0, FAST: true }));
    expect(settings).toMatchObject({ size: 12, slack: 0, fast: true });
  });

  it('counts an empty value as unset, unless the setting takes it as a value', () => {
    expect(read({ NOTE: '', SIZE: '', FAST: '', TAGS: '', MODE: '' })).toMatchObject({ note: undefined, size: 100, fast: false, tags: ['a', 'b'], mode: '' });
    expect(readSettings(SCHEMA, contextSource({ NAME: 'realtime', SIZE: null })).size).toBe(100);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(read({}))).toBe(true);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a required setting left unset', { NAME: '' }, 'Environment variable NAME is required'],
    ['zero for a positive integer', { SIZE: '0' }, 'Environment variable SIZE must be a positive integer, got "0"'],
    ['a negative number for a positive integer', { SIZE: '-3' }, 'Environment variable SIZE must be a positive integer, got "-3"'],
    ['a fraction for a positive integer', { SIZE: '1.5' }, 'Environment variable SIZE must be a positive integer, got "1.5"'],
    ['a word for a positive integer', { SIZE: 'many' }, 'Environment variable SIZE must be a positive integer, got "many"'],
    ['a blank for a positive integer', { SIZE: ' ' }, 'Environment variable SIZE must be a positive integer, got " "'],
    ['a negative number for a non-negative integer', { SLACK: '-1' }, 'Environment variable SLACK must be a non-negative integer, got "-1"'],
    ['anything but true or false for a boolean', { FAST: 'yes' }, 'Environment variable FAST must be true or false, got "yes"'],
    ['a value outside two choices', { POLICY: 'snapshot' }, 'Environment variable POLICY must be "destroy" or "retain", got "snapshot"'],
    ['a value outside several choices', { LEVEL: 'chatty' }, 'Environment variable LEVEL must be one of DEBUG, INFO, WARN, got "chatty"'],
    ['a choice in another case where case counts', { POLICY: 'RETAIN' }, 'Environment variable POLICY must be "destroy" or "retain", got "RETAIN"'],
  ])('refuses %s, naming the key and the value', (_what, environment, message) => {
    expect(() => read(environment)).toThrow(new Error(message));
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a number for a string', { NOTE: 5 }, 'context "NOTE" must be a string, got 5'],
    ['zero for a positive integer', { SIZE: 0 }, 'context "SIZE" must be a positive integer, got 0'],
    ['a boolean for a number', { SIZE: true }, 'context "SIZE" must be a positive integer, got true'],
    ['a number for a boolean', { FAST: 1 }, 'context "FAST" must be true or false, got 1'],
    ['a number for a choice', { LEVEL: 1 }, 'context "LEVEL" must be one of DEBUG, INFO, WARN, got 1'],
    ['an array for a list', { TAGS: ['x'] }, 'context "TAGS" must be a comma-separated list, got ["x"]'],
  ])('refuses %s from a JSON source, as that source names the key', (_what, context, message) => {
    expect(() => readSettings(SCHEMA, contextSource({ NAME: 'realtime', ...context }))).toThrow(new Error(message));
  });
});

describe('isGiven', () => {
  it('counts undefined, null and the empty string as not given', () => {
    expect([undefined, null, '', ' ', '0', 0, false].map(isGiven)).toEqual([false, false, false, true, true, true, true]);
  });
});

describe('settingsVariables', () => {
  it('names each value by its key, in the order given, and leaves out undefined ones', () => {
    const variables = settingsVariables(SCHEMA, { size: 7, note: undefined, name: 'x', fast: true, tags: ['a', 'b'] });
    expect(Object.entries(variables)).toEqual([
      ['SIZE', '7'],
      ['NAME', 'x'],
      ['FAST', 'true'],
      ['TAGS', 'a,b'],
    ]);
  });

  it('writes what readSettings reads back', () => {
    const values = { name: 'realtime', size: 9, slack: 0, fast: true, level: 'WARN', tags: ['p', 'q'] } as const;
    expect(readSettings(SCHEMA, environmentSource(settingsVariables(SCHEMA, values)))).toMatchObject(values);
  });
});
