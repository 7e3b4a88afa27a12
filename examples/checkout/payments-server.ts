// A small stand-in for the payments service the checkout calls: POST /charges answers
// 201 captured (or 402 declined above the card limit) after a few milliseconds. Knobs for trying
// things by hand: PAYMENTS_DELAY_MS (added latency), PAYMENTS_FAIL_RATE (share of 503s, 0..1).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PaymentsServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const CARD_LIMIT_CENTS = 1_000_000;

export async function startPayments(opts: { host: string; port: number; delayMs?: number; failRate?: number }): Promise<PaymentsServer> {
  const delayMs = opts.delayMs ?? Number(process.env.PAYMENTS_DELAY_MS ?? 0);
  const failRate = opts.failRate ?? Number(process.env.PAYMENTS_FAIL_RATE ?? 0);
  let charges = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/charges') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let amount = 0;
      try {
        amount = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { amountCents?: unknown }).amountCents);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
        return;
      }
      const answer = () => {
        if (Math.random() < failRate) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        } else if (!(amount > 0) || amount > CARD_LIMIT_CENTS) {
          res.writeHead(402, { 'content-type': 'application/json' }).end('{"status":"declined"}');
        } else {
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `ch_${++charges}`, status: 'captured' }));
        }
      };
      const wait = delayMs + Math.random() * 3;
      if (wait >= 1) setTimeout(answer, wait);
      else answer();
    });
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
