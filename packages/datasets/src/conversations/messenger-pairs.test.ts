import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownOwnerError } from '../errors.ts';
import { loadMessengerExport } from './load-messenger-export.ts';
import { parseMessengerExport, parseMessengerZip } from './messenger-export.ts';
import { buildConversationPairs } from './messenger-pairs.ts';
import { FIXTURE_EPOCH_MS, messengerFixtureFiles } from './testing/messenger-fixture.ts';

const at = (minute: number) => FIXTURE_EPOCH_MS + minute * 60_000;
const OWNER = 'Zoë Martín';

const EXPECTED_PAIRS = [
  {
    input: 'Hi Zoë! ça va?\nLong time no see',
    reply: 'Hey Alice 😀\nAll good, you?',
    threadId: 'inbox/alicesmith_1001',
    threadTitle: 'Alice Smith',
    inputSender: 'Alice Smith',
    inputTimestampMs: at(1),
    replyTimestampMs: at(5),
  },
  {
    input: 'Great, thanks. Dinner on Friday?',
    reply: 'Sure, 8pm works',
    threadId: 'inbox/alicesmith_1001',
    threadTitle: 'Alice Smith',
    inputSender: 'Alice Smith',
    inputTimestampMs: at(11),
    replyTimestampMs: at(21),
  },
  {
    input: 'Yes! Two of them',
    reply: 'Brilliant',
    threadId: 'inbox/bobjones_2002',
    threadTitle: 'Bob Jones',
    inputSender: 'Bob Jones',
    inputTimestampMs: at(130),
    replyTimestampMs: at(140),
  },
  {
    input: 'Not me',
    reply: 'I will',
    threadId: 'inbox/weekendtrip_3003',
    threadTitle: 'Weekend trip 🏕️',
    inputSender: 'Dave Ørsted',
    inputTimestampMs: at(301),
    replyTimestampMs: at(305),
  },
];

const EXPECTED_SUMMARY = {
  pairs: 4,
  threads: { total: 4, used: 3 },
  messages: 26, // 12 (Alice, two files) + 7 (Bob) + 6 (group) + 1 (Eve)
  skipped: {
    media_only: 3, // Alice's photo, the owner's "You sent a photo.", Bob's sticker
    system: 4, // Alice's reaction, Bob's call and unsent message, Carol renaming the group
    empty: 1, // Dave's whitespace
    no_reply: 4, // Bob's last word, Carol twice in the group, Eve
    no_input: 1, // the owner opening Bob's thread
    long_gap: 1, // the owner answering Alice 10 hours later
  },
};

describe('Messenger export → conversation pairs', () => {
  it('reads threads: merged files oldest first, names and text repaired, other folders ignored', () => {
    const threads = parseMessengerExport(messengerFixtureFiles());
    expect(threads.map((thread) => thread.id)).toEqual(['archived_threads/eve_4004', 'inbox/alicesmith_1001', 'inbox/bobjones_2002', 'inbox/weekendtrip_3003']);
    const alice = threads[1]!;
    expect(alice.files).toEqual(['your_facebook_activity/messages/inbox/alicesmith_1001/message_1.json', 'your_facebook_activity/messages/inbox/alicesmith_1001/message_2.json']);
    expect(alice.participants).toEqual(['Alice Smith', 'Zoë Martín']);
    expect(alice.messages.map((message) => (message.timestampMs - FIXTURE_EPOCH_MS) / 60_000)).toEqual([0, 1, 2, 5, 6, 10, 11, 20, 21, 2880, 3480, 3481]);
    expect(alice.messages[0]).toEqual({ sender: 'Alice Smith', timestampMs: at(0), content: 'Hi Zoë! ça va?', media: [], unsent: false });
    expect(alice.messages[2]).toEqual({ sender: 'Alice Smith', timestampMs: at(2), media: ['photos'], unsent: false });
    expect(threads[3]!.title).toBe('Weekend trip 🏕️');
    expect(threads[3]!.messages[1]!.sender).toBe('Dave Ørsted');
  });

  it('builds the exact pairs and summary', () => {
    const { pairs, summary } = buildConversationPairs(parseMessengerExport(messengerFixtureFiles()), { owner: OWNER });
    expect(pairs).toEqual(EXPECTED_PAIRS);
    expect(summary).toEqual(EXPECTED_SUMMARY);
  });

  it('takes a late reply when maxGapMinutes allows it, and joins turns with the separator given', () => {
    const threads = parseMessengerExport(messengerFixtureFiles());
    const { pairs, summary } = buildConversationPairs(threads, { owner: OWNER, maxGapMinutes: 600, turnSeparator: ' ' });
    expect(pairs.map(({ input, reply }) => ({ input, reply }))).toEqual([
      { input: 'Hi Zoë! ça va? Long time no see', reply: 'Hey Alice 😀 All good, you?' },
      { input: 'Great, thanks. Dinner on Friday?', reply: 'Sure, 8pm works' },
      { input: 'Are we still on?', reply: 'Sorry, just saw this! Yes we are' },
      { input: 'Yes! Two of them', reply: 'Brilliant' },
      { input: 'Not me', reply: 'I will' },
    ]);
    expect(summary.skipped.long_gap).toBe(0);
  });

  it("splits one sender's messages into two turns across a long pause", () => {
    const threads = parseMessengerExport(messengerFixtureFiles());
    // 4 minutes: Alice's two messages 1 minute apart stay one turn; the owner's reply 4 minutes later still counts
    const { pairs, summary } = buildConversationPairs(threads, { owner: OWNER, maxGapMinutes: 4 });
    expect(pairs.map(({ input }) => input)).toEqual(['Hi Zoë! ça va?\nLong time no see', 'Not me']);
    expect(summary.skipped).toMatchObject({ long_gap: 3, no_input: 1 });
  });

  it('names likely owners when the owner is unknown, and matches the owner after repair', () => {
    const threads = parseMessengerExport(messengerFixtureFiles());
    let error: unknown;
    try {
      buildConversationPairs(threads, { owner: 'Zoe Martin' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownOwnerError);
    expect((error as UnknownOwnerError).candidates).toEqual(['Zoë Martín', 'Alice Smith', 'Bob Jones', 'Carol Ng', 'Dave Ørsted']);
    expect((error as Error).message).toBe(
      '"Zoe Martin" takes part in none of the conversations; names seen in the most threads: "Zoë Martín", "Alice Smith", "Bob Jones", "Carol Ng", "Dave Ørsted"',
    );
    // NFD input (e + combining accent) and stray spaces still find the owner
    expect(buildConversationPairs(threads, { owner: ' Zoe\u0308 Marti\u0301n ' }).summary.pairs).toBe(4);
    expect(() => buildConversationPairs(threads, { owner: OWNER, maxGapMinutes: 0 })).toThrow('maxGapMinutes must be a positive number of minutes, got 0');
  });
});

describe('Messenger export inputs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlq-messenger-'));
    for (const [path, bytes] of messengerFixtureFiles()) {
      await mkdir(join(dir, 'export', dirname(path)), { recursive: true });
      await writeFile(join(dir, 'export', path), bytes);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pairsOf = (threads: Parameters<typeof buildConversationPairs>[0]) => buildConversationPairs(threads, { owner: OWNER });

  it('reads a zip with a top folder and one without', async () => {
    const nested = zipSync(Object.fromEntries(messengerFixtureFiles()));
    expect(pairsOf(parseMessengerZip(nested, { source: 'facebook.zip' }))).toEqual({ pairs: EXPECTED_PAIRS, summary: EXPECTED_SUMMARY });
    const flat = zipSync(Object.fromEntries([...messengerFixtureFiles()].map(([path, bytes]) => [path.replace('your_facebook_activity/', ''), bytes])));
    expect(pairsOf(await loadMessengerExport(flat)).pairs).toEqual(EXPECTED_PAIRS);
  });

  it('reads a folder, a zip file on disk and a plain object of files', async () => {
    expect(pairsOf(await loadMessengerExport(join(dir, 'export'))).pairs).toEqual(EXPECTED_PAIRS);
    await writeFile(join(dir, 'export.zip'), zipSync(Object.fromEntries(messengerFixtureFiles())));
    expect(pairsOf(await loadMessengerExport(join(dir, 'export.zip'))).summary).toEqual(EXPECTED_SUMMARY);
    expect(pairsOf(await loadMessengerExport(Object.fromEntries(messengerFixtureFiles()))).pairs).toEqual(EXPECTED_PAIRS);
  });
});
