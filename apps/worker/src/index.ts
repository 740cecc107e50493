export { startWorkerApp, type WorkerApp } from './worker-app.ts';
export { ModelCache } from './model-cache.ts';
