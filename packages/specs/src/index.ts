export * from './errors.ts';
export * from './params.ts';
export * from './schema-parts.ts';
export * from './memory.ts';
export * from './model-record.ts';
export * from './families/index.ts';
