import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DatasetParseError } from '../errors.ts';
import { parseMessengerExport, parseMessengerZip, type MessengerExportFiles } from './messenger-export.ts';
import { messengerFile } from './testing/messenger-fixture.ts';

const FILE = 'messages/inbox/alice_1/message_1.json';
const encode = (text: string) => new TextEncoder().encode(text);

function parseError(files: MessengerExportFiles | Uint8Array): DatasetParseError {
  try {
    if (files instanceof Uint8Array) parseMessengerZip(files, { source: 'upload.zip' });
    else parseMessengerExport(files, { source: 'upload.zip' });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}

const oneFile = (text: string) => ({ [FILE]: encode(text) });

describe('malformed Messenger exports', () => {
  it('names the file for invalid JSON, a missing messages array and incomplete messages', () => {
    const invalid = parseError(oneFile('{"messages": ['));
    expect(invalid.file).toBe(FILE);
    expect(invalid.message).toMatch(/^messages\/inbox\/alice_1\/message_1\.json: not valid JSON \(.+\)$/);

    expect(parseError(oneFile('[]')).message).toBe(`${FILE}: expected a JSON object with a "messages" array, found an array`);
    expect(parseError(oneFile('{"participants": []}')).message).toBe(`${FILE}: no "messages" array (found nothing)`);
    expect(parseError(oneFile('{"messages": {}}')).message).toBe(`${FILE}: no "messages" array (found an object)`);
    expect(parseError(oneFile('{"messages": [{"sender_name": "A", "timestamp_ms": 1}, {"timestamp_ms": 2}]}')).message).toBe(
      `${FILE}: messages[1] has no "sender_name" string (found nothing)`,
    );
    expect(parseError(oneFile('{"messages": [{"sender_name": "A", "timestamp_ms": "1709283600000"}]}')).message).toBe(
      `${FILE}: messages[0] has no "timestamp_ms" number (found string "1709283600000")`,
    );
    expect(parseError(oneFile('{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": 5}]}')).message).toBe(`${FILE}: messages[0].content must be a string, found number 5`);
    expect(parseError(oneFile('{"participants": [{"nom": "A"}], "messages": []}')).message).toBe(`${FILE}: participants[0] has no "name" string`);
  });

  it("names the file of a thread's second part and its invalid UTF-8", () => {
    const good = messengerFile({ title: 'A', participants: ['A'], messages: [{ sender: 'A', minute: 0, content: 'hi' }] });
    const second = 'messages/inbox/alice_1/message_2.json';
    expect(parseError({ [FILE]: good, [second]: encode('{') }).file).toBe(second);
    // the prefix is 34 bytes long, so the bare Latin-1 é sits at offset 34
    const latin1 = Uint8Array.from([...encode('{"messages": [{"sender_name": "Jos'), 0xe9, ...encode('", "timestamp_ms": 1}]}')]);
    expect(parseError({ [FILE]: latin1 }).message).toBe(`${FILE} line 1: not UTF-8 text (byte 0xe9 at offset 34); upload the JSON export saved as UTF-8`);
  });

  it('says which layout was expected when no message file is found', () => {
    const expected =
      'expected JSON files at messages/inbox/<thread>/message_1.json (also archived_threads, e2ee_cutover, filtered_threads), ' +
      'possibly under a top folder such as your_facebook_activity/; request "Download your information" in JSON format';
    expect(parseError({ 'messages/photos/1.jpg': encode('x'), 'inbox/alice_1/message_1.json': encode('{}') }).message).toBe(
      `upload.zip: no Messenger message files found (none of its 2 files matches); ${expected}`,
    );
    expect(parseError({}).message).toBe(`upload.zip: no Messenger message files found (it holds no files); ${expected}`);
    expect(parseError(zipSync({ 'messages/message_requests/x_1/message_1.json': encode('{}') })).message).toBe(
      `upload.zip: no Messenger message files found (none of its 1 files matches); ${expected}`,
    );
    expect(parseError({ 'this_profile/messages/inbox/alice_1/message_1.html': encode('<html>') }).message).toBe(
      'upload.zip: this export is in HTML format; request "Download your information" again in JSON format',
    );
  });

  it('refuses bytes that are not a zip and message files over maxBytes', () => {
    expect(parseError(encode('PK but not really')).message).toMatch(/^upload\.zip: not a readable zip file \(.+\)$/);
    const zip = zipSync({ [FILE]: encode(`{"messages": [], "pad": "${'x'.repeat(2000)}"}`) });
    expect(() => parseMessengerZip(zip, { source: 'big.zip', maxBytes: 1000 })).toThrow('big.zip: the message files hold more than 1,000 bytes (at least 2,027)');
    expect(parseMessengerZip(zip, { maxBytes: 2027 })).toHaveLength(1);
  });
});
