import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type Job } from 'bullmq';
import { Type } from '@sinclair/typebox';
import { DatasetNotFoundError, PredictPayloadSchema, StoreQuotaExceededError } from '@mlq/jobs';
import { parsePayload, settleFailure } from './job-guards.ts';

/** What settleFailure throws for `error`, with no abort signal (the job is not touched then). */
const settled = (error: unknown) => settleFailure(error, {} as Job, undefined, undefined).catch((thrown: unknown) => thrown as Error);

describe('settleFailure: the failure reason a client sees', () => {
  it('keeps a transient error retryable but strips the paths from its message', async () => {
    const error = Object.assign(new Error("ENOENT: no such file or directory, open '/data/store/models/m_1/weights.bin'"), { code: 'ENOENT' });
    const thrown = await settled(error);
    expect(thrown).not.toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toBe("ENOENT: no such file or directory, open '<path>'");
  });

  it('fails a full store at once, with used and limit', async () => {
    const thrown = await settled(new StoreQuotaExceededError('models/m_tr_1/weights.bin', 4_000, 9_000, 10_000));
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toMatch(/^the artifact store is full: models\/m_tr_1\/weights.bin needs 4000 bytes, 9000 of 10000 are used/);
  });

  it('fails unknown input at once, with paths stripped', async () => {
    const thrown = await settled(new DatasetNotFoundError(`${process.cwd()}/secret.csv`));
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toBe('dataset not found: <path>');
  });
});

describe('parsePayload', () => {
  const Schema = Type.Object({ model: Type.String({ minLength: 1 }), horizon: Type.Integer({ minimum: 1, default: 3 }) });

  it('returns the payload with its defaults, leaving the job untouched', () => {
    const job = { data: { model: 'btc' } } as Job;
    expect(parsePayload(Schema, job)).toEqual({ model: 'btc', horizon: 3 });
    expect(job.data).toEqual({ model: 'btc' });
    expect(parsePayload(PredictPayloadSchema, { data: { model: 'btc', horizon: 2 } } as Job)).toMatchObject({ model: 'btc', horizon: 2 });
  });

  it('fails a payload that does not match at once, naming the field', () => {
    const parse = (data: unknown) => () => parsePayload(Schema, { data } as Job);
    expect(parse({ model: 'btc', horizon: 0 })).toThrow(UnrecoverableError);
    expect(parse({ model: 'btc', horizon: 0 })).toThrow(/^invalid payload: \/horizon Expected integer to be greater or equal to 1$/);
    expect(parse({ horizon: 2 })).toThrow(/^invalid payload: \/model /);
    expect(parse(null)).toThrow(/^invalid payload: \/ /);
  });
});
