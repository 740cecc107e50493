import { describe, expect, it } from 'vitest';
import { ApiConfigSchema, ConfigError, MIN_API_KEY_LENGTH, parseApiKeys, parseConfig, WorkerConfigSchema } from '@mlq/jobs';

const key = (char: string, length = MIN_API_KEY_LENGTH) => char.repeat(length);

describe('API_KEYS', () => {
  it('parses scope:key entries, a bare key being submit', () => {
    expect(parseApiKeys('')).toEqual([]);
    expect(parseApiKeys(`read:${key('r')},submit:${key('s')},admin:${key('a')},${key('b')}`)).toEqual([
      { scope: 'read', key: key('r') },
      { scope: 'submit', key: key('s') },
      { scope: 'admin', key: key('a') },
      { scope: 'submit', key: key('b') },
    ]);
    // A colon in a key whose prefix names no scope is part of the key.
    expect(parseApiKeys(`team:${key('t')}`)).toEqual([{ scope: 'submit', key: `team:${key('t')}` }]);
  });

  it('stops the start on a short key, naming API_KEYS and never echoing the key', () => {
    const short = 'admin:0123456789';
    for (const value of [short, `${key('a')},hunter2-hunter2`, `read:${key('r', MIN_API_KEY_LENGTH - 1)}`]) {
      const parse = () => parseConfig(ApiConfigSchema, { API_KEYS: value });
      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(/^invalid configuration: API_KEYS .*at least 16/);
      try {
        parse();
      } catch (error) {
        for (const part of value.split(',')) expect((error as Error).message).not.toContain(part.replace(/^\w+:/, ''));
      }
    }
    // A scope prefix does not count towards the length: 'admin:' + 10 characters is a 10-character key.
    expect(() => parseApiKeys(short)).toThrow(/entry 1 of 1 is a key of 10 characters/);
  });

  it('refuses empty entries and repeated keys', () => {
    expect(() => parseApiKeys(`${key('a')},,${key('b')}`)).toThrow(/API_KEYS has an empty entry 2 of 3/);
    expect(() => parseApiKeys(`read:${key('a')},admin:${key('a')}`)).toThrow(/API_KEYS entry 2 of 2 repeats an earlier key/);
  });

  it('is never echoed by a schema error either', () => {
    const schema = { ...ApiConfigSchema, properties: { ...ApiConfigSchema.properties, API_KEYS: { ...ApiConfigSchema.properties.API_KEYS, maxLength: 5 } } };
    expect(() => parseConfig(schema, { API_KEYS: key('z') })).toThrow(/API_KEYS .*not shown/);
    expect(() => parseConfig(schema, { API_KEYS: key('z') })).not.toThrow(new RegExp(key('z')));
  });
});

describe('listen addresses and the protected-mode opt-out', () => {
  it('default to loopback for the API and the worker metrics, with no opt-out', () => {
    const api = parseConfig(ApiConfigSchema, {});
    expect(api.HOST).toBe('127.0.0.1');
    expect(api.ALLOW_UNAUTHENTICATED).toBe(false);
    expect(api.AUTH_FAILURES_PER_MINUTE).toBeGreaterThan(0);
    expect(parseConfig(WorkerConfigSchema, {}).METRICS_HOST).toBe('127.0.0.1');
    expect(parseConfig(ApiConfigSchema, { ALLOW_UNAUTHENTICATED: 'true' }).ALLOW_UNAUTHENTICATED).toBe(true);
  });
});
