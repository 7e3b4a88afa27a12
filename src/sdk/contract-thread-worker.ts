// The contract parser's worker thread (contract-thread.ts says why it is a thread): checks the text
// it was given, posts the contract or the located error message, and wakes the caller. It catches
// everything, so the caller never waits for an answer that will not come; the parser is imported
// inside the try for that reason.
import { workerData } from 'node:worker_threads';
import type { ThreadAnswer, ThreadInput } from './contract-thread.ts';

const { text, file, port, flag } = workerData as ThreadInput;
let answer: ThreadAnswer;
try {
  const { checkContract } = await import('./contract-check.ts');
  answer = checkContract(text, file);
} catch (err) {
  answer = { ok: false, crashed: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
port.postMessage(answer);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
