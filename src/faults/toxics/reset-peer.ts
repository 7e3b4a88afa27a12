// reset_peer {timeout} (ms): when data first comes in this direction, wait `timeout` ms, then reset
// the connection: the client gets an RST (socket.resetAndDestroy(): it sees ECONNRESET) and the
// data is dropped. 0 resets at once.
import { intAttr, type ToxicType } from '../toxic.ts';
import { wait } from '../wait.ts';

export interface ResetPeerAttributes {
  timeout: number;
}

export const resetPeer: ToxicType<ResetPeerAttributes> = {
  type: 'reset_peer',
  parse: (a, prev) => ({ timeout: intAttr(a, 'timeout', prev?.timeout ?? 0, 0, 'milliseconds') }),
  link: (attrs, env) => ({
    async data(chunk, _readAt, emit) {
      await wait(attrs.timeout, env.signal);
      if (env.signal.aborted) return emit(chunk);
      env.close('reset');
    },
  }),
};
