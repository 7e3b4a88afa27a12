// slow_close {delay} (ms): when the source closes, the close reaches the destination `delay` ms
// later (data still flows until then).
import { intAttr, type ToxicType } from '../toxic.ts';
import { wait } from '../wait.ts';

export interface SlowCloseAttributes {
  delay: number;
}

export const slowClose: ToxicType<SlowCloseAttributes> = {
  type: 'slow_close',
  parse: (a, prev) => ({ delay: intAttr(a, 'delay', prev?.delay ?? 0, 0, 'milliseconds') }),
  link: (attrs, env) => ({
    data: (chunk, _readAt, emit) => emit(chunk),
    end: () => wait(attrs.delay, env.signal),
  }),
};
