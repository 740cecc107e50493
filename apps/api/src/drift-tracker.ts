import type { ApiServices } from './services.ts';
import { DriftTracker } from '@mlq/jobs';

/** The API's view of recorded forecasts and drift states (`DRIFT_WINDOW`, `DRIFT_MARGIN`). */
export const driftTrackerOf = ({ redis, config }: Pick<ApiServices, 'redis' | 'config'>): DriftTracker =>
  new DriftTracker(redis, config.QUEUE_PREFIX, { window: config.DRIFT_WINDOW, margin: config.DRIFT_MARGIN });
