export * from './types';
export * from './parse';
