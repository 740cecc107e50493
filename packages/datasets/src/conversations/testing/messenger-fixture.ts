/**
 * A small Messenger export written the way Facebook writes it, for tests: ASCII-only JSON in
 * which every non-ASCII character is its UTF-8 bytes as `\u00XX` escapes, messages newest first.
 */

/** What Facebook does to text: each UTF-8 byte becomes one Latin-1 code point. */
export function mangle(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

/** A message as the fixture describes it: the text as it should read after repair. */
export interface FixtureMessage {
  sender: string;
  /** Minutes after the fixture's epoch, 2024-03-01T09:00:00Z. */
  minute: number;
  content?: string;
  /** Extra raw fields (`photos`, `sticker`, `call_duration`, `is_unsent`…). */
  extra?: Record<string, unknown>;
}

export const FIXTURE_EPOCH_MS = Date.UTC(2024, 2, 1, 9, 0, 0);

/** One `message_<n>.json`; `messages` are given oldest first and written newest first. */
export function messengerFile(thread: { title: string; participants: string[]; messages: FixtureMessage[]; threadPath?: string }): Uint8Array {
  const json = {
    participants: thread.participants.map((name) => ({ name: mangle(name) })),
    messages: [...thread.messages].reverse().map(({ sender, minute, content, extra }) => ({
      sender_name: mangle(sender),
      timestamp_ms: FIXTURE_EPOCH_MS + minute * 60_000,
      ...(content === undefined ? {} : { content: mangle(content) }),
      ...extra,
      is_geoblocked_for_viewer: false,
    })),
    title: mangle(thread.title),
    is_still_participant: true,
    thread_path: thread.threadPath ?? 'inbox/thread',
    magic_words: [],
  };
  const ascii = JSON.stringify(json, null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new TextEncoder().encode(ascii);
}

const OWNER = 'Zoë Martín';
const ALICE = 'Alice Smith';
const BOB = 'Bob Jones';
const CAROL = 'Carol Ng';
const DAVE = 'Dave Ørsted';
const DAY = 24 * 60;

/**
 * The fixture export, under `your_facebook_activity/` like a 2024 export. Owner: "Zoë Martín".
 * - Alice (two files): a two-message turn, a photo, a reaction, "You sent a photo.", a reply after 10 h;
 * - Bob: the owner opens, a sticker, a call log, an unsent message, Bob has the last word;
 * - a group chat (Carol, Dave, owner) with a renamed group and an empty message;
 * - Eve (archived) who never gets an answer;
 * - a message request, a photo and an HTML page, all to be ignored.
 */
export function messengerFixtureFiles(): Map<string, Uint8Array> {
  const root = 'your_facebook_activity/messages';
  const aliceThread = { title: ALICE, participants: [ALICE, OWNER], threadPath: 'inbox/alicesmith_1001' };
  return new Map<string, Uint8Array>([
    [
      `${root}/inbox/alicesmith_1001/message_2.json`,
      messengerFile({
        ...aliceThread,
        messages: [
          { sender: ALICE, minute: 0, content: 'Hi Zoë! ça va?' },
          { sender: ALICE, minute: 1, content: 'Long time no see' },
          { sender: ALICE, minute: 2, extra: { photos: [{ uri: 'photos/1.jpg', creation_timestamp: 1709283720 }] } },
          { sender: OWNER, minute: 5, content: 'Hey Alice 😀' },
          { sender: OWNER, minute: 6, content: '  All good, you?  ' },
        ],
      }),
    ],
    [
      `${root}/inbox/alicesmith_1001/message_1.json`,
      messengerFile({
        ...aliceThread,
        messages: [
          { sender: ALICE, minute: 10, content: 'Reacted 😀 to your message ' },
          { sender: ALICE, minute: 11, content: 'Great, thanks. Dinner on Friday?' },
          { sender: OWNER, minute: 20, content: 'You sent a photo.', extra: { photos: [{ uri: 'photos/2.jpg' }] } },
          { sender: OWNER, minute: 21, content: 'Sure, 8pm works' },
          { sender: ALICE, minute: 2 * DAY, content: 'Are we still on?' },
          { sender: OWNER, minute: 2 * DAY + 600, content: 'Sorry, just saw this!' },
          { sender: OWNER, minute: 2 * DAY + 601, content: 'Yes we are' },
        ],
      }),
    ],
    [
      `${root}/inbox/bobjones_2002/message_1.json`,
      messengerFile({
        title: BOB,
        participants: [BOB, OWNER],
        messages: [
          { sender: OWNER, minute: 100, content: 'Bob, did you get the tickets?' },
          { sender: BOB, minute: 130, content: 'Yes! Two of them' },
          { sender: BOB, minute: 131, extra: { sticker: { uri: 'stickers/1.png' } } },
          { sender: OWNER, minute: 140, content: 'Brilliant' },
          { sender: BOB, minute: 200, content: 'Bob called you.', extra: { call_duration: 120 } },
          { sender: BOB, minute: 210, content: 'Bob unsent a message', extra: { is_unsent: true } },
          { sender: BOB, minute: 220, content: 'See you there, she sent a photo.' },
        ],
      }),
    ],
    [
      `${root}/inbox/weekendtrip_3003/message_1.json`,
      messengerFile({
        title: 'Weekend trip 🏕️',
        participants: [CAROL, DAVE, OWNER],
        messages: [
          { sender: CAROL, minute: 300, content: 'Who brings the tent?' },
          { sender: DAVE, minute: 301, content: 'Not me' },
          { sender: OWNER, minute: 305, content: 'I will' },
          { sender: CAROL, minute: 306, content: 'Carol named the group Weekend trip 🏕️.' },
          { sender: DAVE, minute: 307, content: '   ' },
          { sender: CAROL, minute: 308, content: 'Great, thanks Zoë' },
        ],
      }),
    ],
    [`${root}/archived_threads/eve_4004/message_1.json`, messengerFile({ title: 'Eve', participants: ['Eve', OWNER], messages: [{ sender: 'Eve', minute: 400, content: 'Hello?' }] })],
    [
      `${root}/message_requests/spammer_5005/message_1.json`,
      messengerFile({ title: 'Spammer', participants: ['Spammer', OWNER], messages: [{ sender: 'Spammer', minute: 500, content: 'Win!' }] }),
    ],
    [`${root}/inbox/alicesmith_1001/photos/1.jpg`, Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])],
    [`${root}/inbox/alicesmith_1001/message_1.html`, new TextEncoder().encode('<html></html>')],
  ]);
}
