import { checkOption, HoldoutSchema, HorizonSchema, priceLstmDefaults, PriceLstmParamsSchema, resolveParams, type PriceLstmSettings } from '@mlq/specs';

/**
 * The price family's parameters come from its spec (`@mlq/specs`, `families/price.ts`): the same
 * schema and defaults the API validates requests with.
 */
export { horizonBounds, MIN_LINEAR_POINTS, MIN_TRAINING_WINDOWS, priceLstmDefaults, scalingChoices } from '@mlq/specs';

/** Hyperparameters of the price LSTM. */
export type PriceLstmParams = PriceLstmSettings;

/**
 * Fills defaults and checks every field against the family's schema; throws `ModelConfigError`
 * naming the field and the bound (`window must be <= 365, got 400`). Unknown fields are errors too.
 */
export function validatePriceParams(params: Partial<PriceLstmParams> = {}): PriceLstmParams {
  return resolveParams(PriceLstmParamsSchema, priceLstmDefaults, params, 'price LSTM');
}

/** Checks a horizon or holdout length (integer points, 1–365); throws ModelConfigError naming it. */
export function checkHorizon(field: 'horizon' | 'holdout', value: number): number {
  return checkOption(field, field === 'horizon' ? HorizonSchema : HoldoutSchema, value);
}
