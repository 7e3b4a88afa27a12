// A plain node:http service the gate can attach to (--target / runGate's target): /healthz says
// UP, /metrics is absent (the gate judges from the client's view only), everything else goes to
// the test's own handler. Listens on 127.0.0.1, port 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateService {
  url: string;
  close(): void;
}

export async function startGateService(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<GateService> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"UP"}');
      return;
    }
    if (req.url === '/metrics') {
      res.writeHead(404);
      res.end();
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
