import type { MessengerMessage } from './messenger-export.ts';

/**
 * - `text`: something a person typed (possibly with an attachment);
 * - `media_only`: an attachment without text, or Facebook's stand-in text for one ("You sent a photo.");
 * - `system`: a notice written by Facebook, not by the sender: calls, reactions, unsent messages,
 *   group changes (joins, leaves, names, nicknames, themes), "You are now connected on Messenger";
 * - `empty`: neither text nor attachment (or only whitespace).
 */
export type MessengerMessageKind = 'text' | 'media_only' | 'system' | 'empty';

/** `type` values that mark a notice rather than a typed message (older exports). */
const SYSTEM_TYPES = new Set(['Call', 'Subscribe', 'Unsubscribe']);

const ATTACHMENT = '(?:a|an|\\d+) (?:photos?|videos?|attachments?|GIFs?|stickers?|voice messages?|audio clips?|files?|links?|locations?|live locations?)';

/**
 * Notices written by Facebook in the export's (English) wording. Each must match the whole text
 * (one line) and, where it names someone, start with the sender's own name (full or first) or,
 * for the owner's own messages, "You" — so that a person typing "she sent a photo." or "you left
 * the group?" keeps their text.
 */
function noticePatterns(who: string): { kind: 'media_only' | 'system'; pattern: RegExp }[] {
  const rule = (kind: 'media_only' | 'system', body: string) => ({ kind, pattern: new RegExp(`^(?:${body})$`, 'u') });
  const call = '(?:video |audio )?(?:call|chat)';
  return [
    rule('media_only', `${who} sent ${ATTACHMENT}\\.?`),
    rule('system', `(?:${who} r|R)eacted .{1,20} to (?:your|a|their|his|her) message ?`),
    rule(
      'system',
      `${who} (?:unsent a message|left the group|changed the group photo|removed the group (?:name|photo)|called you|started (?:a|an) ${call}|joined the ${call}|missed (?:a|your) ${call})\\.?`,
    ),
    rule(
      'system',
      `${who} (?:named the group .+|changed the group name to .+|added .+ to the group\\.?|removed .+ from the group\\.?|set the nickname for .+|` +
        `set (?:your|his|her|their) (?:own )?nickname to .+|cleared (?:the|your|his|her|their) nickname.*|changed the (?:chat )?theme.*|` +
        `set the emoji to .+|changed the emoji to .+|set the quick reaction to .+)`,
    ),
    rule('system', `You missed a ${call} from .+`),
    rule('system', `The ${call} ended\\.?`),
    rule('system', 'You are now connected on Messenger\\.?'),
    rule('system', 'Say hi to your new Facebook friend,? .+'),
  ];
}

const patternCache = new Map<string, ReturnType<typeof noticePatterns>>();

function patternsFor(sender: string, isOwner: boolean): ReturnType<typeof noticePatterns> {
  const key = `${isOwner ? 1 : 0}${sender}`;
  let patterns = patternCache.get(key);
  if (!patterns) {
    const first = sender.split(/\s+/)[0] ?? '';
    const names = [...new Set([sender, first, ...(isOwner ? ['You'] : [])].filter((name) => name !== ''))].map(escapeRegExp);
    patterns = noticePatterns(`(?:${names.join('|')})`);
    if (patternCache.size > 10_000) patternCache.clear(); // bound the cache over huge exports
    patternCache.set(key, patterns);
  }
  return patterns;
}

/**
 * What a message is, for deciding whether it can be part of a conversation turn.
 * @param owner the export owner's name: only their notices read "You …"
 */
export function classifyMessengerMessage(message: MessengerMessage, owner?: string): MessengerMessageKind {
  if (message.unsent || message.callDurationSeconds !== undefined || (message.type !== undefined && SYSTEM_TYPES.has(message.type))) {
    return 'system';
  }
  const content = message.content?.trim() ?? '';
  if (content === '') return message.media.length > 0 ? 'media_only' : 'empty';
  for (const { kind, pattern } of patternsFor(message.sender, message.sender === owner)) if (pattern.test(content)) return kind;
  return 'text';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
