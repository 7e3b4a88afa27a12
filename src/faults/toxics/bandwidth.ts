// bandwidth {rate} (KB/s, KB = 1000 bytes as in toxiproxy): data goes on at most `rate` KB per
// second, in pieces of 100 ms worth, each sent when the time it costs has passed.
import { intAttr, type ToxicType } from '../toxic.ts';
import { wait } from '../wait.ts';

export interface BandwidthAttributes {
  rate: number;
}

export const bandwidth: ToxicType<BandwidthAttributes> = {
  type: 'bandwidth',
  parse: (a, prev) => ({ rate: intAttr(a, 'rate', prev?.rate ?? 0, 1, 'KB/s') }),
  link: (attrs, env) => {
    let nextAt = 0;
    const piece = Math.max(1, attrs.rate * 100);
    return {
      async data(chunk, _readAt, emit) {
        for (let off = 0; off < chunk.length; off += piece) {
          const part = chunk.subarray(off, off + piece);
          // rate KB/s = rate bytes per millisecond.
          nextAt = Math.max(nextAt, performance.now()) + part.length / attrs.rate;
          await wait(nextAt - performance.now(), env.signal);
          if (env.signal.aborted) nextAt = 0;
          await emit(part);
        }
      },
    };
  },
};
