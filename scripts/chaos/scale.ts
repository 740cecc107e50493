/** How big each chaos scenario runs: `ci` fits `npm test` on a 2-core machine, `full` is the sizes. */
export type ChaosScale = 'ci' | 'full';

export interface ScaleSettings {
  scale: ChaosScale;
  /** Worker processes kept running (each replaced when a scenario kills it). */
  workers: number;
  /** Series of the batch whose workers are killed at random moments, and how many kills. */
  batchSeries: number;
  batchKills: number;
  /** Times the worker holding one chosen batch child is killed. */
  sameJobKills: number;
  /** How long Redis stays down after its kill -9. */
  redisDownMs: number;
  fuzzRequests: number;
  concurrentPredictions: number;
  sseConnections: number;
  /** `*` characters of the hostile CSV header (one more character follows). */
  headerStars: number;
  /** Jobs retained in Redis when `GET /v1/jobs?offset=100000` is asked, and how many such requests run at once. */
  retainedJobs: number;
  parallelListings: number;
  /** What the small zip inflates to. */
  zipInflatedMiB: number;
  /** Run trainings the API accepted that the issue found to blow up a worker (full only). */
  runOversizedTrainings: boolean;
  /** How long to wait for every job to finish after a scenario. */
  settleMs: number;
}

export const scales: Record<ChaosScale, ScaleSettings> = {
  ci: {
    scale: 'ci',
    workers: 2,
    batchSeries: 12,
    batchKills: 2,
    sameJobKills: 2,
    redisDownMs: 2_000,
    fuzzRequests: 200,
    concurrentPredictions: 50,
    sseConnections: 50,
    headerStars: 160_000,
    retainedJobs: 3_000,
    parallelListings: 10,
    zipInflatedMiB: 200,
    runOversizedTrainings: false,
    settleMs: 90_000,
  },
  full: {
    scale: 'full',
    workers: 2,
    batchSeries: 100,
    batchKills: 6,
    sameJobKills: 3,
    redisDownMs: 5_000,
    fuzzRequests: 1_000,
    concurrentPredictions: 500,
    sseConnections: 1_000,
    headerStars: 160_000,
    retainedJobs: 12_000,
    parallelListings: 10,
    zipInflatedMiB: 400,
    runOversizedTrainings: true,
    settleMs: 600_000,
  },
};
