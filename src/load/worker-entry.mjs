// Entry of a load worker thread. The CLI runs TypeScript through tsx registered in the main thread
// (bin/sloctl.js), which a worker does not inherit, so the worker registers tsx itself, then loads
// the TypeScript worker. Plain JavaScript so Node can start it without any loader.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
