// Character-level text generation: vocabulary, stacked LSTM/GRU, training with checkpoints and resume, sampling.
export { generationDefaults, textGenCells, textGenPresets, validateTextGenParams, type TextGenParams, type TextGenPresetName } from './config.ts';
export { CharVocabulary, MAX_CHAR_VOCABULARY_SIZE, UNKNOWN_CHAR_INDEX } from './vocabulary.ts';
export { CorpusTooShortError } from './data.ts';
export { splitWindows, type WindowShard } from './objective.ts';
export { bitsPerChar, unigramEntropyBits } from './metrics.ts';
export { validateGenerateTextOptions, type GenerateTextOptions } from './generate.ts';
export { buildTextNetwork } from './network.ts';
export { TEXT_MODEL_FORMAT, TEXT_MODEL_FORMAT_VERSION, type TextEpochMetrics, type TextModelMetadata, type TextModelMetrics } from './io.ts';
export { TEXT_CHECKPOINT_FORMAT, TEXT_CHECKPOINT_FORMAT_VERSION, readTextCheckpointState, type TextCheckpointState, type TextTrainingPosition } from './checkpoint.ts';
export { TextModel, loadTextModel } from './text-model.ts';
export { trainTextModel, type TextTrainingCheckpoint, type TextTrainProgress, type TextTrainStep, type TrainTextModelOptions } from './train.ts';
