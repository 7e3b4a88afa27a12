// Every toxic type the proxy knows, by the name the API uses.
import { httpAbort, httpError } from './http-faults.ts';
import type { ToxicType } from './toxic.ts';
import { bandwidth } from './toxics/bandwidth.ts';
import { latency } from './toxics/latency.ts';
import { limitData } from './toxics/limit-data.ts';
import { resetPeer } from './toxics/reset-peer.ts';
import { slicer } from './toxics/slicer.ts';
import { slowClose } from './toxics/slow-close.ts';
import { timeout } from './toxics/timeout.ts';

export const TOXIC_TYPES: ReadonlyMap<string, ToxicType<object>> = new Map(
  ([latency, bandwidth, slowClose, timeout, resetPeer, limitData, slicer, httpError, httpAbort] as ToxicType<object>[]).map((t) => [t.type, t]),
);
