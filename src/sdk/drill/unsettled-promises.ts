// unsettled-promises: a share of requests await, before their handler runs, a promise that
// settles only when the fault is removed: the Node analogue of a goroutine blocked on a channel
// nobody writes to. The service sees requests pile up in flight (http_server_active_requests),
// clients see timeouts; the count of promises pending is in the fault's counters and in
// sloctl_drill_unsettled_promises. Removal settles every one of them (resolves: the requests then
// run their handlers, late), so nothing stays pending.
//
// Which requests: deterministic, not random (a drill repeats): with share 0.1, every tenth.
import { num, onlyKnown, type FaultDefinition, type RunningFault } from './fault.ts';
import type { UnsettledPromisesParams } from './types.ts';

const KNOWN = ['share', 'maxPending'] as const;

export const unsettledPromises: FaultDefinition<UnsettledPromisesParams> = {
  name: 'unsettled-promises',
  parse(raw) {
    onlyKnown('unsettled-promises', raw, KNOWN);
    return {
      share: num('unsettled-promises', raw, 'share', 0.1, 0, 1, { exclusiveMin: true }),
      maxPending: num('unsettled-promises', raw, 'maxPending', 10_000, 1, 1_000_000, { integer: true }),
    };
  },
  start(p): RunningFault {
    let resolvers: Array<() => void> = [];
    let held = 0;
    let passed = 0;
    let carry = 0;
    let stopped = false;
    return {
      hold() {
        if (stopped) return undefined;
        carry += p.share;
        if (carry + 1e-9 < 1 || resolvers.length >= p.maxPending) {
          passed++;
          return undefined;
        }
        carry -= 1;
        held++;
        return new Promise<void>((resolve) => resolvers.push(resolve));
      },
      stop() {
        stopped = true;
        const all = resolvers;
        resolvers = [];
        for (const r of all) r();
      },
      counters: () => ({ pending: resolvers.length, held, passed }),
    };
  },
};
