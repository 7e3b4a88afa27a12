// A local /metrics that serves crafted expositions, one per scrape: `pages[i]` to the i-th GET
// (the last one after that). For the gate's service watch, read back page by page.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Runs `run` with the URL of a /metrics serving `pages` in turn, then closes it. */
export async function servePages(pages: readonly string[], run: (metricsUrl: string) => Promise<void>): Promise<void> {
  let i = 0;
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(pages[Math.min(i++, pages.length - 1)]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
