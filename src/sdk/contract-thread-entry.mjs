// Entry of the contract parser's worker thread when sloctl runs from its TypeScript sources (tests,
// development): a worker does not inherit the tsx the main thread registered, so it registers tsx
// itself, then loads the TypeScript worker. Plain JavaScript so Node can start it without a loader.
// The built package starts dist/sdk/contract-thread-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./contract-thread-worker.ts');
