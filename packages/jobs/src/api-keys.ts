import { ConfigError } from './config-error.ts';

/** What an API key may do; each scope includes the ones before it. */
export const keyScopes = ['read', 'submit', 'admin'] as const;
export type KeyScope = (typeof keyScopes)[number];

/** The scope of an API_KEYS entry written without a `scope:` prefix. */
export const BARE_KEY_SCOPE: KeyScope = 'submit';

/** Shorter keys can be guessed; the check runs at start, before any request. */
export const MIN_API_KEY_LENGTH = 16;

export interface ApiKey {
  scope: KeyScope;
  key: string;
}

/** Whether `held` includes `needed` (admin ⊇ submit ⊇ read). */
export const scopeIncludes = (held: KeyScope, needed: KeyScope): boolean => keyScopes.indexOf(held) >= keyScopes.indexOf(needed);

/**
 * Parses API_KEYS: comma-separated entries `scope:key` (scope read, submit or admin) or a bare
 * `key`, which gets BARE_KEY_SCOPE. Errors name the entry by position and never echo a key.
 */
export function parseApiKeys(value: string): ApiKey[] {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') return [];
  const keys: ApiKey[] = [];
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1} of ${entries.length}`;
    if (entry === '') throw new ConfigError('API_KEYS', `has an empty ${where} (a stray comma?)`);
    const colon = entry.indexOf(':');
    const prefix = colon < 0 ? undefined : entry.slice(0, colon);
    const scoped = prefix !== undefined && (keyScopes as readonly string[]).includes(prefix);
    const key = scoped ? entry.slice(colon + 1) : entry;
    if (/\s/.test(key)) throw new ConfigError('API_KEYS', `${where} contains white space`);
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new ConfigError('API_KEYS', `${where} is a key of ${key.length} characters; keys need at least ${MIN_API_KEY_LENGTH} (e.g. admin:$(openssl rand -hex 24))`);
    }
    if (keys.some((known) => known.key === key)) throw new ConfigError('API_KEYS', `${where} repeats an earlier key`);
    keys.push({ scope: scoped ? (prefix as KeyScope) : BARE_KEY_SCOPE, key });
  });
  return keys;
}
