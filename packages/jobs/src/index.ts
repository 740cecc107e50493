export * from './config.ts';
export * from './schemas.ts';
export * from './queues.ts';
export * from './store.ts';
export * from './redis.ts';
export * from './registry.ts';
export * from './datasets.ts';
export * from './requirements.ts';
