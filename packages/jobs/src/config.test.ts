import { describe, expect, it } from 'vitest';
import { ApiConfigSchema, ConfigError, describeConfig, parseConfig, WorkerConfigSchema } from './config.ts';

describe('parseConfig', () => {
  it('fills defaults and converts numbers', () => {
    const config = parseConfig(WorkerConfigSchema, { TRAIN_CONCURRENCY: '3' });
    expect(config.TRAIN_CONCURRENCY).toBe(3);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.WORKER_QUEUES).toBe('train,predict,batch');
    expect(config.TF_BACKEND).toBe('auto');
  });

  it('fails naming the bad variable and its value', () => {
    expect(() => parseConfig(ApiConfigSchema, { PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig(ApiConfigSchema, { PORT: 'eighty' })).toThrow(/PORT .*"eighty"/);
    expect(() => parseConfig(WorkerConfigSchema, { TF_BACKEND: 'cuda' })).toThrow(/TF_BACKEND/);
    expect(() => parseConfig(WorkerConfigSchema, { WORKER_QUEUES: 'train,gpu' })).toThrow(/WORKER_QUEUES/);
    expect(() => parseConfig(ApiConfigSchema, { MAX_WAIT_SECONDS: '0' })).toThrow(/MAX_WAIT_SECONDS/);
  });

  it('describes every variable for the docs', () => {
    const names = describeConfig(WorkerConfigSchema).map((v) => v.name);
    expect(names).toContain('MODEL_CACHE_BYTES');
    for (const variable of describeConfig(ApiConfigSchema)) expect(variable.description).not.toBe('');
  });
});

describe('the README configuration table', () => {
  it('lists every variable with its default', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const schema of [ApiConfigSchema, WorkerConfigSchema]) {
      for (const variable of describeConfig(schema)) {
        expect(readme, variable.name).toContain(`| \`${variable.name}\` |`);
        const shown = variable.default === '' ? '(none)' : `\`${String(variable.default)}\``;
        const row = readme.split('\n').find((line) => line.startsWith(`| \`${variable.name}\` |`));
        expect(row?.split(' | ')[2], variable.name).toBe(shown);
      }
    }
  });
});
