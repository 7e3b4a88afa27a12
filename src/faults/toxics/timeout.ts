// timeout {timeout} (ms): a blackhole. No data goes on while the toxic is in place (it is held, not
// dropped: the source is paused once the hold is full, and what was held goes on if the toxic is
// removed, as toxiproxy's README says); the connection is closed `timeout` ms after the toxic began
// acting on it, or never when 0.
import { intAttr, type ToxicType } from '../toxic.ts';
import { untilAborted } from '../wait.ts';

export interface TimeoutAttributes {
  timeout: number;
}

export const timeout: ToxicType<TimeoutAttributes> = {
  type: 'timeout',
  parse: (a, prev) => ({ timeout: intAttr(a, 'timeout', prev?.timeout ?? 0, 0, 'milliseconds') }),
  link: (attrs, env) => {
    if (attrs.timeout > 0) {
      const timer = setTimeout(() => env.close('end'), attrs.timeout);
      env.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }
    return {
      async data(chunk, _readAt, emit) {
        await untilAborted(env.signal);
        await emit(chunk);
      },
    };
  },
};
