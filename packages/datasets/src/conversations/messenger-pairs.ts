import { UnknownOwnerError } from '../errors.ts';
import type { MessengerThread } from './messenger-export.ts';
import { classifyMessengerMessage } from './messenger-message-kind.ts';
import type { ConversationPair } from './types.ts';

/** Options of {@link buildConversationPairs}. */
export interface BuildConversationPairsOptions {
  /** The export owner's name as Messenger shows it (after mojibake repair): whose replies to learn. */
  owner: string;
  /**
   * Longest silence, in minutes, between someone's turn and the owner's reply for them to make a
   * pair; also the longest pause inside one turn (a later message by the same sender starts a new turn).
   * @defaultValue 360 (six hours)
   */
  maxGapMinutes?: number;
  /**
   * Joins the messages of one turn.
   * @defaultValue '\n'
   */
  turnSeparator?: string;
}

/** A pair taken from a Messenger thread, with where and when it happened. */
export interface MessengerConversationPair extends ConversationPair {
  /** {@link MessengerThread.id}, e.g. `inbox/alicesmith_10158`. */
  threadId: string;
  threadTitle: string;
  /** Who wrote the input turn. */
  inputSender: string;
  /** When the input turn ended (its last message), ms since the Unix epoch. */
  inputTimestampMs: number;
  /** When the reply turn began (its first message), ms since the Unix epoch. */
  replyTimestampMs: number;
}

/**
 * Why messages or turns did not become pairs. Message counts: `media_only` (attachments without
 * text, or "X sent a photo."), `system` (calls, reactions, unsent notices, group changes…),
 * `empty` (no text, no attachment). Turn counts: `no_reply` (someone's turn that the owner did not
 * answer next), `no_input` (an owner turn that follows no one: it opens the thread or follows the
 * owner's own earlier turn), `long_gap` (an owner reply more than `maxGapMinutes` after the input).
 */
export type ConversationSkipReason = 'media_only' | 'system' | 'empty' | 'no_reply' | 'no_input' | 'long_gap';

/** What {@link buildConversationPairs} made of an export. */
export interface ConversationPairsSummary {
  pairs: number;
  threads: {
    total: number;
    /** Threads that gave at least one pair. */
    used: number;
  };
  /** Messages over all threads, skipped ones included. */
  messages: number;
  skipped: Record<ConversationSkipReason, number>;
}

interface Turn {
  sender: string;
  texts: string[];
  firstMs: number;
  lastMs: number;
}

/**
 * Turns Messenger threads into (someone's turn → the owner's reply) pairs for a chatbot that
 * answers like the owner.
 *
 * Per thread, oldest first: media-only, system and empty messages are dropped; consecutive
 * messages by one sender, each within `maxGapMinutes` of the previous one, make one turn (texts
 * trimmed and joined with `turnSeparator`); every owner turn that directly follows another
 * person's turn, within `maxGapMinutes`, makes a pair. In a group chat the input is simply the
 * turn just before the owner's, whoever wrote it.
 * @throws UnknownOwnerError when `owner` takes part in no thread, listing likely names
 * @throws RangeError for a `maxGapMinutes` that is not a positive number
 */
export function buildConversationPairs(
  threads: readonly MessengerThread[],
  options: BuildConversationPairsOptions,
): { pairs: MessengerConversationPair[]; summary: ConversationPairsSummary } {
  const { maxGapMinutes = 360, turnSeparator = '\n' } = options;
  if (!(maxGapMinutes > 0) || !Number.isFinite(maxGapMinutes)) {
    throw new RangeError(`maxGapMinutes must be a positive number of minutes, got ${maxGapMinutes}`);
  }
  const owner = options.owner.normalize('NFC').trim();
  assertOwnerTakesPart(threads, owner, options.owner);
  const maxGapMs = maxGapMinutes * 60_000;
  const skipped: Record<ConversationSkipReason, number> = { media_only: 0, system: 0, empty: 0, no_reply: 0, no_input: 0, long_gap: 0 };
  const pairs: MessengerConversationPair[] = [];
  let used = 0;
  let messages = 0;

  for (const thread of threads) {
    messages += thread.messages.length;
    const turns: Turn[] = [];
    for (const message of thread.messages) {
      const sender = message.sender.normalize('NFC');
      const kind = classifyMessengerMessage({ ...message, sender }, owner);
      if (kind !== 'text') {
        skipped[kind]++;
        continue;
      }
      const text = message.content!.trim();
      const last = turns.at(-1);
      if (last && last.sender === sender && message.timestampMs - last.lastMs <= maxGapMs) {
        last.texts.push(text);
        last.lastMs = message.timestampMs;
      } else {
        turns.push({ sender, texts: [text], firstMs: message.timestampMs, lastMs: message.timestampMs });
      }
    }

    const before = pairs.length;
    turns.forEach((turn, i) => {
      const previous = turns[i - 1];
      if (turn.sender !== owner) {
        if (turns[i + 1]?.sender !== owner) skipped.no_reply++;
        return;
      }
      if (!previous || previous.sender === owner) skipped.no_input++;
      else if (turn.firstMs - previous.lastMs > maxGapMs) skipped.long_gap++;
      else {
        pairs.push({
          input: previous.texts.join(turnSeparator),
          reply: turn.texts.join(turnSeparator),
          threadId: thread.id,
          threadTitle: thread.title,
          inputSender: previous.sender,
          inputTimestampMs: previous.lastMs,
          replyTimestampMs: turn.firstMs,
        });
      }
    });
    if (pairs.length > before) used++;
  }
  return { pairs, summary: { pairs: pairs.length, threads: { total: threads.length, used }, messages, skipped } };
}

function assertOwnerTakesPart(threads: readonly MessengerThread[], owner: string, asGiven: string): void {
  const threadsByName = new Map<string, number>();
  for (const thread of threads) {
    const names = new Set([...thread.participants, ...thread.messages.map((message) => message.sender)].map((name) => name.normalize('NFC')));
    if (names.has(owner)) return;
    for (const name of names) threadsByName.set(name, (threadsByName.get(name) ?? 0) + 1);
  }
  const candidates = [...threadsByName]
    .sort(([nameA, countA], [nameB, countB]) => countB - countA || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0))
    .slice(0, 5)
    .map(([name]) => name);
  throw new UnknownOwnerError(asGiven, candidates);
}
