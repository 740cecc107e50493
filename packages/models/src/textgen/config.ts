import { resolveTextGenParams, type TextGenPresetName, type TextGenSettings } from '@mlq/specs';

/**
 * The text generator's parameters, presets and generation options come from the family's spec
 * (`@mlq/specs`, `families/textgen.ts`): the same schemas the API validates requests with.
 */
export { generationDefaults, textGenCells, textGenPresets, type TextGenPresetName } from '@mlq/specs';

/** Hyperparameters of a character-level text generator. */
export type TextGenParams = TextGenSettings;

/**
 * Fills the preset's values for omitted fields and checks every field; throws `ModelConfigError`
 * naming the field (`units must be <= 1024, got 2000`). Unknown fields are errors too.
 * @defaultValue preset `'default'`
 */
export function validateTextGenParams(params: Partial<TextGenParams> = {}, preset: TextGenPresetName = 'default'): TextGenParams {
  return resolveTextGenParams(params, preset);
}
