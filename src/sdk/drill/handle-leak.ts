// handle-leak: timers nobody clears and connections nobody closes, at a rate, as a client that
// never consumes its response bodies or a retry loop that forgets its timers would. The leaked
// handles are referenced (they would keep the process from exiting, as real leaks do) and show in
// process.getActiveResourcesInfo() ('Timeout', 'TCPSocketWrap') and prom-client's
// nodejs_active_handles. Connections go over loopback to a listener of the fault's own (no
// traffic leaves the machine); each is two sockets, two file descriptors. Removal clears every
// timer, destroys every socket and closes the listener.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FaultParamError, num, onlyKnown, RateAccumulator, type FaultDefinition } from './fault.ts';
import type { HandleLeakParams } from './types.ts';

const KNOWN = ['timersPerSecond', 'socketsPerSecond', 'maxTimers', 'maxSockets'] as const;
const TICK_MS = 100;
const noop = () => {};

export const handleLeak: FaultDefinition<HandleLeakParams> = {
  name: 'handle-leak',
  parse(raw) {
    onlyKnown('handle-leak', raw, KNOWN);
    const p: HandleLeakParams = {
      timersPerSecond: num('handle-leak', raw, 'timersPerSecond', 10, 0, 10_000),
      socketsPerSecond: num('handle-leak', raw, 'socketsPerSecond', 1, 0, 1000),
      maxTimers: num('handle-leak', raw, 'maxTimers', 10_000, 0, 100_000, { integer: true }),
      maxSockets: num('handle-leak', raw, 'maxSockets', 500, 0, 5000, { integer: true }),
    };
    if (p.timersPerSecond === 0 && p.socketsPerSecond === 0) throw new FaultParamError('handle-leak: "timersPerSecond" and "socketsPerSecond" are both 0: nothing would leak');
    return p;
  },
  start(p) {
    const timers: NodeJS.Timeout[] = [];
    const sockets = new Set<Socket>();
    let connected = 0;
    let failed = 0;
    let wanted = 0;
    let attempted = 0;
    let timersLeaked = 0;
    let stopped = false;
    let server: Server | undefined;
    let port: number | undefined;
    const timerRate = new RateAccumulator(p.timersPerSecond, performance.now());
    const socketRate = new RateAccumulator(p.socketsPerSecond, performance.now());

    const track = (s: Socket) => {
      if (stopped) {
        s.destroy();
        return;
      }
      sockets.add(s);
      s.on('error', noop);
      s.on('close', () => sockets.delete(s));
    };
    const open = (n: number) => {
      for (let i = 0; i < n; i++) {
        const c = connect({ host: '127.0.0.1', port: port! });
        track(c);
        c.once('connect', () => connected++);
        c.once('error', () => failed++);
      }
    };
    const listen = () => {
      server = createServer(track);
      server.on('error', noop);
      server.listen(0, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        if (!stopped) open(wanted);
        wanted = 0;
      });
    };

    const leak = () => {
      const now = performance.now();
      const t = Math.min(timerRate.due(now), p.maxTimers - timers.length);
      for (let i = 0; i < t; i++) timers.push(setInterval(noop, 2 ** 31 - 1));
      if (t > 0) timersLeaked += t;
      const s = Math.min(socketRate.due(now), p.maxSockets - attempted);
      if (s <= 0) return;
      attempted += s;
      if (port !== undefined) open(s);
      else {
        wanted += s;
        if (server === undefined) listen();
      }
    };
    const every = setInterval(leak, TICK_MS);
    every.unref();
    return {
      stop() {
        stopped = true;
        clearInterval(every);
        for (const t of timers) clearInterval(t);
        timers.length = 0;
        for (const s of sockets) s.destroy();
        server?.close();
      },
      // timers, openSockets: open now (0 once removed); timersLeaked, sockets: leaked in all.
      counters: () => ({ timers: timers.length, timersLeaked, sockets: connected, openSockets: sockets.size, socketErrors: failed }),
    };
  },
};
