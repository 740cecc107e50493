import type { ChatModel } from './chat-model.ts';
import { checkPairs, selectUsablePairs, type ChatPair } from './data.ts';
import { END_ID, UNK_ID } from './tokenizer.ts';

/** How well greedy replies reproduce reference replies, token by token. */
export interface TokenAccuracyReport {
  /** `correct / total`; 0 when no reference token was counted. */
  tokenAccuracy: number;
  /** Reference tokens the greedy reply had at the same position. */
  correct: number;
  /** Reference tokens counted. */
  total: number;
  /** Pairs evaluated. */
  pairs: number;
  /** Pairs left out: their message or reply has no token. */
  skipped: number;
}

/**
 * Token accuracy of greedy replies: each reference reply is tokenised as in training (its first
 * `maxReplyLength` tokens, then `<end>` when the whole reply fits) and each of its tokens counts
 * as right when the greedy reply (followed by `<end>` unless truncated) has the same token at the
 * same position. So a reply that runs on past the reference misses the reference's `<end>`, and
 * one that stops early misses the rest. Reference `<unk>` tokens are not counted: replies never
 * contain `<unk>`. Free-running, so stricter than training's teacher-forced `tokenAccuracy`.
 * Yields to the event loop as it goes; `signal` is checked between decoder steps.
 */
export async function evaluateTokenAccuracy(model: ChatModel, pairs: readonly ChatPair[], { signal }: { signal?: AbortSignal } = {}): Promise<TokenAccuracyReport> {
  checkPairs(pairs);
  const usable = selectUsablePairs(pairs);
  const { tokenizer } = model;
  let correct = 0;
  let total = 0;
  for (const pair of usable) {
    const reference = tokenizer.encodeReply(pair.reply);
    const expected = reference.complete ? [...reference.ids, END_ID] : reference.ids;
    // Returns to the event loop between decoder steps: an evaluation over many pairs is long.
    const [reply] = await model.replyAsync(pair.input, { strategy: 'greedy', maxLength: tokenizer.maxReplyLength }, signal ? { signal } : {});
    if (!reply) continue;
    const produced = [...reply.tokens.map((token) => tokenizer.idOf(token)), ...(reply.truncated ? [] : [END_ID])];
    expected.forEach((id, position) => {
      if (id === UNK_ID) return;
      total++;
      if (produced[position] === id) correct++;
    });
  }
  return { tokenAccuracy: total === 0 ? 0 : correct / total, correct, total, pairs: usable.length, skipped: pairs.length - usable.length };
}
