// Evidence captures through node:inspector, in the formats Chrome DevTools loads:
//
//   heap sampling  HeapProfiler.startSampling, wait, stopSampling -> `.heapprofile` ({head, samples}).
//                  Cheap (V8 samples an allocation every `samplingInterval` bytes, 32 KiB here) and
//                  it shows what allocated during the window and is still alive at its end: a leak
//                  that keeps leaking, with the stack that leaks. Not what leaked before the window.
//   CPU profile    Profiler.start, wait, stop -> `.cpuprofile` ({nodes, startTime, endTime, samples,
//                  timeDeltas}). V8 samples from its own thread, so a blocked loop is recorded too.
//   heap snapshot  HeapProfiler.takeHeapSnapshot, streamed chunk by chunk to `.heapsnapshot`. It
//                  stops the process for as long as it takes and needs memory of the heap's size
//                  again: only when the contract says `capture: heap-snapshot`.
//
// A session on the process's own inspector works without --inspect and alongside a debugger.
import { Session } from 'node:inspector';
import type { EvidenceWriter } from './evidence.ts';

/** What a capture produces: the text of the file, or (snapshot) chunks streamed to a writer. */
export type CaptureKind = 'heap-sampling' | 'cpu-profile' | 'heap-snapshot';

export const HEAP_SAMPLING_INTERVAL = 32 * 1024;
/** CPU sampling every 1 ms (V8's default), enough for a profile of 1-2 s. */
const CPU_SAMPLING_US = 1000;

function post<T = unknown>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/** Resolves after `ms`, on an unref'd timer: a capture in progress never keeps the process alive. */
function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
  const s = new Session();
  s.connect();
  try {
    return await fn(s);
  } finally {
    s.disconnect();
  }
}

/** A heap sampling profile over `ms`, as JSON text. */
export function heapSamplingProfile(ms: number): Promise<string> {
  return withSession(async (s) => {
    await post(s, 'HeapProfiler.enable');
    await post(s, 'HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_INTERVAL });
    await wait(ms);
    const { profile } = await post<{ profile: unknown }>(s, 'HeapProfiler.stopSampling');
    await post(s, 'HeapProfiler.disable');
    return JSON.stringify(profile);
  });
}

/** A CPU profile over `ms`, as JSON text. */
export function cpuProfile(ms: number): Promise<string> {
  return withSession(async (s) => {
    await post(s, 'Profiler.enable');
    await post(s, 'Profiler.setSamplingInterval', { interval: CPU_SAMPLING_US });
    await post(s, 'Profiler.start');
    await wait(ms);
    const { profile } = await post<{ profile: unknown }>(s, 'Profiler.stop');
    await post(s, 'Profiler.disable');
    return JSON.stringify(profile);
  });
}

/**
 * A full heap snapshot streamed into `out`. The first write error (the file would pass
 * evidence.maxBytes) is rethrown once V8 is done; the caller aborts the writer.
 */
export function heapSnapshot(out: EvidenceWriter): Promise<void> {
  return withSession(async (s) => {
    let failed: unknown;
    s.on('HeapProfiler.addHeapSnapshotChunk', (m) => {
      if (failed !== undefined) return;
      try {
        out.write(m.params.chunk);
      } catch (err) {
        failed = err;
      }
    });
    await post(s, 'HeapProfiler.enable');
    await post(s, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await post(s, 'HeapProfiler.disable');
    if (failed !== undefined) throw failed;
  });
}
