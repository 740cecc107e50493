/**
 * @mlq/datasets: parses, validates and summarises datasets — price series, text corpora,
 * conversation pairs (Messenger exports, uploads, Shakespeare dialogue) and word vectors — for the
 * API (upload checks, 4xx answers) and the worker (model inputs). Pure TypeScript: no tfjs, Redis or HTTP.
 */
export type { DatasetSummary, ParsePriceCsvOptions, PriceFormat, PriceRow, SeriesSummary } from './types.ts';
export {
  assertMinimumLength,
  DatasetParseError,
  DatasetTooShortError,
  DuplicateSeriesError,
  UnknownOwnerError,
  UnknownSeriesError,
  type DatasetProblem,
  type SeriesLength,
} from './errors.ts';
export { parsePriceCsv } from './parse-price-csv.ts';
export { PriceCollection } from './price-collection.ts';
export { loadPriceDirectory, readPriceCsvFile } from './load.ts';
export { decodeUtf8Strict } from './utf8.ts';
export { builtinDatasets, findBuiltinDataset, type BuiltinDataset } from './builtin.ts';

export { DEFAULT_MAX_TEXT_BYTES, parseTextCorpus, summarizeText, type ParseTextCorpusOptions, type TextCorpus, type TextCorpusSummary } from './text/parse-text-corpus.ts';
export { countLines, normalizeLineBreaks } from './text/line-breaks.ts';
export { countCharacters, unigramCrossEntropyBits, unigramEntropyBits } from './text/unigram-entropy.ts';
export { loadMobyDickText, resolveMobyDickDir } from './text/moby-dick.ts';
export { builtinTextDatasets, findBuiltinTextDataset, loadTinyShakespeareText, type BuiltinTextDataset } from './text/builtin-text.ts';

export type { ConversationPair } from './conversations/types.ts';
export { repairMojibake } from './conversations/mojibake.ts';
export {
  DEFAULT_MAX_MESSENGER_BYTES,
  isMessengerMessageFile,
  MESSENGER_THREAD_FOLDERS,
  parseMessengerExport,
  parseMessengerZip,
  readMessengerFolder,
  type MessengerExportFiles,
  type MessengerExportInput,
  type MessengerMedia,
  type MessengerMessage,
  type MessengerThread,
  type MessengerThreadFolder,
  type ReadMessengerExportOptions,
} from './conversations/messenger-export.ts';
export { readMessengerZipBytes, readMessengerZipFile } from './conversations/messenger-zip-file.ts';
export { loadMessengerExport } from './conversations/load-messenger-export.ts';
export { classifyMessengerMessage, type MessengerMessageKind } from './conversations/messenger-message-kind.ts';
export {
  buildConversationPairs,
  type BuildConversationPairsOptions,
  type ConversationPairsSummary,
  type ConversationSkipReason,
  type MessengerConversationPair,
} from './conversations/messenger-pairs.ts';
export { parseConversationPairs, type ParseConversationPairsOptions } from './conversations/parse-conversation-pairs.ts';
export { buildDialoguePairs, parseSpeeches, type BuildDialoguePairsOptions, type DialoguePair, type Speech } from './conversations/shakespeare-dialogue.ts';
export { builtinPairDatasets, findBuiltinPairDataset, SHAKESPEARE_DIALOGUE_MAX_WORDS, type BuiltinPairDataset } from './conversations/builtin-pairs.ts';

export { parseWordVectors, type ParseWordVectorsOptions, type WordVectors } from './embeddings/parse-word-vectors.ts';
