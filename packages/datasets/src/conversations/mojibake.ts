const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Undoes the Facebook export quirk where UTF-8 bytes were written as Latin-1 code points
 * (`"Ã©"` for `"é"`, four such characters for an emoji): the code points are taken as bytes
 * and decoded as UTF-8. A string with a code point above 0xFF, or whose bytes are not valid
 * UTF-8, was not mangled this way and comes back unchanged, as does plain ASCII.
 */
export function repairMojibake(text: string): string {
  let high = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return text;
    if (code >= 0x80) high = true;
  }
  if (!high) return text;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  try {
    return utf8.decode(bytes);
  } catch {
    return text;
  }
}
