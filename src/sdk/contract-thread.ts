// The contract is parsed and validated on a short-lived worker thread, not in the service's own
// isolate: the YAML parser and the schema (yaml and zod: about 1.1 MB of the 1.5 MB of code
// `sloctl/sdk` would otherwise load) never enter the service's heap. Measured on the Fastify
// hello-world, a service that had parsed its contract in-process answered each request 2-3% dearer
// for the rest of its life, with none of that code running (bench/RESULTS.md, 2026-12-06): the
// same instructions, slower, in a larger heap. Parsing stays synchronous for `instrument()`: the
// caller blocks on a shared flag (Atomics.wait) until the thread has posted its answer, then reads
// it from the port (receiveMessageOnPort), as at start-up a service waits for its configuration.
//
// From the sources (tsx: the tests, `npm run example`) the parser runs in the caller's thread,
// through tsx's require(): a thread there has to register tsx and compile the parser again, ~0.55 s
// every instrument(), dozens of times a test run. The thread itself is tested on the built package
// (test/sdk-contract-thread.test.ts on dist/, test/package.test.ts on the tarball).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ContractCheck } from './contract-check.ts';

/** What the thread answers: the contract, the located message `sloctl validate` would print, or its own failure. */
export type ThreadAnswer = ContractCheck | { ok: false; crashed: string };

/** What the thread is given. */
export interface ThreadInput {
  text: string;
  file: string;
  port: MessagePort;
  flag: Int32Array;
}

// The thread runs the bundle scripts/build.mjs makes of contract-thread-worker.ts beside the
// command line's (dist/cli/contract-thread.js: one file and shared chunks start faster than
// dist/contract's modules and zod's ~230 files).
const ENTRY = new URL('../cli/contract-thread.js', import.meta.url);
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** How long a parse may take before `instrument()` gives up: a contract parses in well under a second. */
export const PARSE_TIMEOUT_MS = 60_000;

/**
 * Parses `text` (the contract read from `file`) on a worker thread and returns its answer; throws
 * only when the thread could not answer at all (it did not start, or timed out).
 */
export function parseOnThread(text: string, file: string, timeoutMs = PARSE_TIMEOUT_MS): ThreadAnswer {
  if (FROM_SOURCES) return (createRequire(import.meta.url)('./contract-check.ts') as typeof import('./contract-check.ts')).checkContract(text, file);
  // Missing when sloctl/sdk was bundled into one file (the bundler does not follow a worker's
  // URL): said at once, not after the timeout, with the way that needs no thread.
  if (!existsSync(fileURLToPath(ENTRY))) {
    throw new Error(`the contract parser's worker file ${fileURLToPath(ENTRY)} is missing (was sloctl/sdk bundled? a bundler does not copy it)`);
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // execArgv: [] so the service's preloads (an APM's --require) do not run again in a thread that only parses.
  // A process that may not start threads (Node's permission model without --allow-worker) throws here.
  const worker = new Worker(ENTRY, { workerData: { text, file, port: port2, flag }, transferList: [port2 as never], execArgv: [], stdout: false, stderr: false });
  worker.unref();
  try {
    // Woken by the thread's notify; 'timed-out' only if it never answers (it catches everything
    // it runs, and its file was there a moment ago, so that means it could not start).
    if (Atomics.wait(flag, 0, 0, timeoutMs) === 'timed-out') {
      throw new Error(`the contract parser's worker thread (${ENTRY.href}) did not answer within ${timeoutMs} ms`);
    }
    const answer = receiveMessageOnPort(port1)?.message as ThreadAnswer | undefined;
    if (answer === undefined) throw new Error(`the contract parser's worker thread (${ENTRY.href}) signalled without an answer`);
    return answer;
  } finally {
    port1.close();
    void worker.terminate();
  }
}
