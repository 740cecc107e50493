import { ChatModel, loadChatModel, tokenize, type ChatReply, type ReplyOptions } from '@mlq/models';
import { scopedArtifacts, type PredictPayload, type Seq2SeqModelRecord, type Seq2SeqPredictResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { expectLoaded } from './loaded-model.ts';

/** Replies with a registered seq2seq chat model: greedy (one reply) or beam search (the n best). */
/** Decoding returns to the event loop between steps; `signal` stops it there. */
export async function predictReply(ctx: ProcessorContext, record: Seq2SeqModelRecord, payload: PredictPayload, signal?: AbortSignal): Promise<Seq2SeqPredictResult> {
  const message = payload.message!;
  const strategy = payload.strategy ?? 'greedy';
  const { value, hit } = await ctx.cache.useAsync(
    record.id,
    async () => {
      const model = await loadChatModel(scopedArtifacts(ctx.store, record.artifactPrefix));
      return { model, bytes: model.byteSize() };
    },
    async (loaded) => {
      const model = expectLoaded(loaded, ChatModel, record);
      const maxLength = payload.maxLength !== undefined ? { maxLength: payload.maxLength } : {};
      const options: ReplyOptions =
        strategy === 'beam'
          ? {
              strategy: 'beam',
              ...maxLength,
              ...(payload.beamWidth !== undefined ? { beamWidth: payload.beamWidth } : {}),
              ...(payload.n !== undefined ? { n: payload.n } : {}),
              ...(payload.lengthPenalty !== undefined ? { lengthPenalty: payload.lengthPenalty } : {}),
            }
          : { strategy: 'greedy', ...maxLength };
      const replies: ChatReply[] = await model.replyAsync(message, options, signal ? { signal } : {});
      const unknownWords = [...new Set(tokenize(message).filter((token) => !model.tokenizer.has(token)))];
      return { replies, unknownWords };
    },
  );
  return {
    kind: 'seq2seq',
    modelId: record.id,
    name: record.name,
    version: record.version,
    message,
    strategy,
    reply: value.replies[0]?.text ?? '',
    replies: value.replies,
    unknownWords: value.unknownWords,
    cached: hit,
    backend: ctx.backend.name,
  };
}
