import { randomInt } from 'node:crypto';
import type { Job } from 'bullmq';
import { loadTextModel, TextModel, UNKNOWN_CHAR_INDEX } from '@mlq/models';
import { scopedArtifacts, TextStreamWriter, type PredictPayload, type TextGenModelRecord, type TextGenPredictResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { expectLoaded } from './loaded-model.ts';

/** Characters generated when the request does not say. */
export const DEFAULT_GENERATION_LENGTH = 200;

/**
 * Generates text with a registered textgen model. With `stream`, characters are appended to the
 * job's text stream as they come (the API relays them as server-sent events).
 */
export async function predictText(ctx: ProcessorContext, job: Job, record: TextGenModelRecord, payload: PredictPayload, signal?: AbortSignal): Promise<TextGenPredictResult> {
  const seedText = payload.seedText!;
  const length = payload.length ?? DEFAULT_GENERATION_LENGTH;
  const temperature = payload.temperature ?? 1;
  const randomSeed = payload.randomSeed ?? randomInt(2 ** 31 - 1);
  const stream = payload.stream ? new TextStreamWriter(ctx.redis, ctx.config.QUEUE_PREFIX, job.id!) : undefined;
  await stream?.start(job.attemptsStarted);
  let unknownCharacters = 0;
  const { value: text, hit } = await ctx.cache.useAsync(
    record.id,
    async () => {
      const model = await loadTextModel(scopedArtifacts(ctx.store, record.artifactPrefix));
      return { model, bytes: model.byteSize() };
    },
    async (loaded) => {
      const model = expectLoaded(loaded, TextModel, record);
      unknownCharacters = model.vocabulary.encode(seedText).filter((index) => index === UNKNOWN_CHAR_INDEX).length;
      return model.generate({
        seedText,
        length,
        temperature,
        randomSeed,
        ...(payload.topK !== undefined ? { topK: payload.topK } : {}),
        ...(stream ? { onText: (chunk: string) => stream.write(chunk) } : {}),
        ...(signal ? { signal } : {}),
      });
    },
  );
  await stream?.end();
  return {
    kind: 'textgen',
    modelId: record.id,
    name: record.name,
    version: record.version,
    seedText,
    text,
    length,
    temperature,
    topK: payload.topK ?? null,
    randomSeed,
    unknownCharacters,
    cached: hit,
    backend: ctx.backend.name,
  };
}
