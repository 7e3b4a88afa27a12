// latency {latency, jitter} (ms): each chunk goes on `latency` ± `jitter` ms after it was read
// (toxiproxy's semantics: the delay counts from the read, so chunks in flight are delayed once,
// not once per chunk before them). Jitter is uniform in [-jitter, +jitter], seeded per connection.
import { intAttr, type ToxicType } from '../toxic.ts';
import { wait } from '../wait.ts';

export interface LatencyAttributes {
  latency: number;
  jitter: number;
}

export const latency: ToxicType<LatencyAttributes> = {
  type: 'latency',
  parse: (a, prev) => ({
    latency: intAttr(a, 'latency', prev?.latency ?? 0, 0, 'milliseconds'),
    jitter: intAttr(a, 'jitter', prev?.jitter ?? 0, 0, 'milliseconds'),
  }),
  link: (attrs, env) => ({
    async data(chunk, readAt, emit) {
      const jitter = attrs.jitter > 0 ? (env.random() * 2 - 1) * attrs.jitter : 0;
      await wait(readAt + attrs.latency + jitter - performance.now(), env.signal);
      await emit(chunk);
    },
  }),
};
