// The seq2seq chat model family: (message → reply) pairs in, an encoder-decoder LSTM that replies out.
import '../tfjs-setup.ts';
export { replyDefaults, seq2seqDefaults, validateSeq2SeqParams, type Seq2SeqParams } from './config.ts';
export {
  detokenize,
  END,
  END_ID,
  PAD,
  PAD_ID,
  SPECIAL_TOKENS,
  START,
  START_ID,
  tokenize,
  Tokenizer,
  UNK,
  UNK_ID,
  type EncodedReply,
  type FitTokenizerOptions,
  type TokenizerJSON,
} from './tokenizer.ts';
export { createEmbeddingMatrix, type EmbeddingCoverage, type WordVectors } from './word-vectors.ts';
export type { ChatPair } from './data.ts';
export { smallTalkPairs } from './small-talk.ts';
export { buildSeq2SeqNetwork } from './model.ts';
export { trainChatModel, type Seq2SeqProgress, type TrainChatModelOptions } from './train.ts';
export { ChatModel, loadChatModel, type BeamReplyOptions, type ChatReply, type GreedyReplyOptions, type ReplyOptions } from './chat-model.ts';
export { CHAT_MODEL_FORMAT, CHAT_MODEL_FORMAT_VERSION, type ChatModelMetadata, type ChatModelMetrics } from './io.ts';
export { evaluateTokenAccuracy, type TokenAccuracyReport } from './evaluate.ts';
export { CHAT_CHECKPOINT_FORMAT, CHAT_CHECKPOINT_FORMAT_VERSION, readChatCheckpoint, type ChatCheckpointState, type ChatEpochMetrics, type ChatTrainingPosition } from './checkpoint.ts';
