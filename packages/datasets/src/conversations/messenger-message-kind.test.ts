import { describe, expect, it } from 'vitest';
import type { MessengerMessage } from './messenger-export.ts';
import { classifyMessengerMessage } from './messenger-message-kind.ts';

const OWNER = 'Zoë Martín';
const message = (sender: string, content: string | undefined, extra: Partial<MessengerMessage> = {}): MessengerMessage => ({
  sender,
  timestampMs: 0,
  ...(content === undefined ? {} : { content }),
  media: [],
  unsent: false,
  ...extra,
});
const kindOf = (sender: string, content: string | undefined, extra?: Partial<MessengerMessage>) => classifyMessengerMessage(message(sender, content, extra), OWNER);

describe('classifyMessengerMessage', () => {
  it('recognises media stand-ins by the sender or, for the owner, "You"', () => {
    expect(kindOf(OWNER, 'You sent a photo.')).toBe('media_only');
    expect(kindOf(OWNER, 'Zoë sent an attachment.')).toBe('media_only');
    expect(kindOf('Bob Jones', 'Bob sent 3 photos.')).toBe('media_only');
    expect(kindOf('Bob Jones', 'Bob Jones sent a GIF.')).toBe('media_only');
    expect(kindOf('Bob Jones', undefined, { media: ['sticker'] })).toBe('media_only');
    expect(kindOf('Bob Jones', 'look!', { media: ['photos'] })).toBe('text'); // a caption
  });

  it('recognises Facebook notices', () => {
    const notices: [string, string][] = [
      ['Alice', 'Reacted ❤️ to your message '],
      ['Alice', 'Alice reacted 😆 to your message'],
      [OWNER, 'You unsent a message'],
      ['Carol Ng', 'Carol named the group Weekend trip.'],
      ['Carol Ng', 'Carol Ng added Dave Ørsted to the group.'],
      ['Carol Ng', 'Carol left the group.'],
      [OWNER, 'You set the nickname for Carol Ng to Caz.'],
      [OWNER, 'You changed the theme to Love.'],
      ['Bob', 'Bob started a video call'],
      ['Bob', 'The video call ended.'],
      ['Bob', 'You are now connected on Messenger.'],
      ['Bob', 'Say hi to your new Facebook friend, Bob.'],
    ];
    for (const [sender, content] of notices) expect([content, kindOf(sender, content)]).toEqual([content, 'system']);
    expect(kindOf('Bob', 'Bob called you.', { callDurationSeconds: 0 })).toBe('system');
    expect(kindOf('Bob', 'hello', { type: 'Subscribe' })).toBe('system');
    expect(kindOf('Bob', 'This message was unsent', { unsent: true })).toBe('system');
  });

  it('keeps what people typed, even when it sounds like a notice', () => {
    const typed: [string, string][] = [
      ['Bob Jones', 'I think she sent a photo.'],
      ['Bob Jones', 'You sent a photo.'], // "You …" notices are the owner's only
      ['Bob Jones', 'You left the group?'],
      [OWNER, 'Carol left the group.'], // a notice about Carol would be sent by Carol
      ['Alice', 'Reacted ❤️ to your message\nand then?'],
      ['Alice', 'The call ended badly'],
    ];
    for (const [sender, content] of typed) expect([content, kindOf(sender, content)]).toEqual([content, 'text']);
    expect(kindOf('Bob', '  ')).toBe('empty');
    expect(kindOf('Bob', undefined)).toBe('empty');
  });
});
