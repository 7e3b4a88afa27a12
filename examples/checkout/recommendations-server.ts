// A small stand-in for the recommendations service the product page calls: GET
// /recommendations/:id answers a few related product ids after a millisecond or two. Knobs for
// trying things by hand: RECOMMENDATIONS_DELAY_MS (added latency), RECOMMENDATIONS_FAIL_RATE
// (share of 503s, 0..1).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecommendationsServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const PRODUCTS = 500;
const PER_PRODUCT = 4;

/** Related products: deterministic, so a page answers the same with or without a cache. */
export function related(id: number): number[] {
  return Array.from({ length: PER_PRODUCT }, (_, k) => 1 + ((id * 31 + (k + 1) * 97) % PRODUCTS)).filter((r) => r !== id);
}

export async function startRecommendations(opts: { host: string; port: number; delayMs?: number; failRate?: number }): Promise<RecommendationsServer> {
  const delayMs = opts.delayMs ?? Number(process.env.RECOMMENDATIONS_DELAY_MS ?? 0);
  const failRate = opts.failRate ?? Number(process.env.RECOMMENDATIONS_FAIL_RATE ?? 0);
  const server = createServer((req, res) => {
    const m = req.method === 'GET' ? /^\/recommendations\/(\d+)$/.exec(req.url ?? '') : null;
    if (!m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const answer = () => {
      if (Math.random() < failRate) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ productId: Number(m[1]), related: related(Number(m[1])) }));
      }
    };
    const wait = delayMs + Math.random() * 2;
    if (wait >= 1) setTimeout(answer, wait);
    else answer();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
