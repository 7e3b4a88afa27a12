// limit_data {bytes}: this direction carries at most `bytes` bytes; once they are sent the
// connection is closed (the destination gets them, then a FIN).
import { intAttr, type ToxicType } from '../toxic.ts';

export interface LimitDataAttributes {
  bytes: number;
}

export const limitData: ToxicType<LimitDataAttributes> = {
  type: 'limit_data',
  parse: (a, prev) => ({ bytes: intAttr(a, 'bytes', prev?.bytes ?? 0, 0, 'bytes') }),
  link: (attrs, env) => {
    let sent = 0;
    return {
      async data(chunk, _readAt, emit) {
        const room = attrs.bytes - sent;
        const part = room < chunk.length ? chunk.subarray(0, Math.max(0, room)) : chunk;
        sent += part.length;
        if (part.length > 0) await emit(part);
        if (sent >= attrs.bytes && !env.signal.aborted) env.close('end');
      },
    };
  },
};
