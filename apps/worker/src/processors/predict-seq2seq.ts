import { ChatModel, loadChatModel, tokenize, type ChatReply } from '@mlq/models';
import { scopedArtifacts, type PredictPayload, type Seq2SeqModelRecord, type Seq2SeqPredictResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { expectLoaded } from './loaded-model.ts';

/** Replies with a registered seq2seq chat model: greedy (one reply) or beam search (the n best). */
export async function predictReply(ctx: ProcessorContext, record: Seq2SeqModelRecord, payload: PredictPayload): Promise<Seq2SeqPredictResult> {
  const message = payload.message!;
  const strategy = payload.strategy ?? 'greedy';
  const { value, hit } = await ctx.cache.use(
    record.id,
    async () => {
      const model = await loadChatModel(scopedArtifacts(ctx.store, record.artifactPrefix));
      return { model, bytes: model.byteSize() };
    },
    (loaded) => {
      const model = expectLoaded(loaded, ChatModel, record);
      const maxLength = payload.maxLength !== undefined ? { maxLength: payload.maxLength } : {};
      const replies: ChatReply[] =
        strategy === 'beam'
          ? model.reply(message, {
              strategy: 'beam',
              ...maxLength,
              ...(payload.beamWidth !== undefined ? { beamWidth: payload.beamWidth } : {}),
              ...(payload.n !== undefined ? { n: payload.n } : {}),
              ...(payload.lengthPenalty !== undefined ? { lengthPenalty: payload.lengthPenalty } : {}),
            })
          : [model.reply(message, { strategy: 'greedy', ...maxLength })];
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
