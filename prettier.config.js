// Formatting: `npm run format` writes, `npm run format:check` checks. The options match the code
// as written; printWidth is the width that changes the fewest lines of today's code (measured:
// 120 would rewrap ~10,000 lines in 255 files, 190 ~2,000 lines in 133).
/** @type {import('prettier').Config} */
export default {
  printWidth: 190,
  singleQuote: true,
  semi: true,
  tabWidth: 2,
  trailingComma: 'all',
  // Compose and Kubernetes manifests quote with double quotes.
  overrides: [{ files: '*.{yaml,yml}', options: { singleQuote: false } }],
};
