import { describe, expect, it } from 'vitest';
import { repairMojibake } from './mojibake.ts';

/** What Facebook writes: each UTF-8 byte of the text as one Latin-1 code point. */
const mangle = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));

describe('repairMojibake', () => {
  it('repairs accents, emoji and CJK written as Latin-1 code points', () => {
    expect(mangle('é')).toBe('\u00c3\u00a9');
    expect(repairMojibake('Jos\u00c3\u00a9')).toBe('José');
    expect(repairMojibake(mangle('ok 😂 👍🏽'))).toBe('ok 😂 👍🏽');
    expect(repairMojibake(mangle('Zoë Łukasz 東京'))).toBe('Zoë Łukasz 東京');
    expect(repairMojibake(mangle('\ufeffkeeps a BOM'))).toBe('\ufeffkeeps a BOM');
  });

  it('leaves text alone when it cannot be mojibake', () => {
    expect(repairMojibake('plain ASCII')).toBe('plain ASCII');
    expect(repairMojibake('café')).toBe('café'); // é as 0xE9 alone is not UTF-8
    expect(repairMojibake('Ã© but 😂')).toBe('Ã© but 😂'); // a code point above 0xFF
    expect(repairMojibake('\u00c3')).toBe('\u00c3'); // a truncated sequence
    expect(repairMojibake('')).toBe('');
  });
});
