// A minimal Express 5 service instrumented with sloctl: two lines of SDK (the middleware first,
// the error recorder after the routes), health at /healthz, metrics at /metrics.
//
//   node --import tsx examples/express-minimal/server.ts     (PORT, default 3000; 0: a free one)
import express from 'express';
import { instrument } from 'sloctl/sdk';
import { errorHandler, middleware } from 'sloctl/sdk/express';

const sdk = instrument({ contract: new URL('./slo.yaml', import.meta.url) });

const app = express();
app.use(middleware(sdk));

app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});

app.get('/greet/:name', (req, res) => {
  if (req.params.name.length > 64) {
    res.status(400).json({ error: 'name too long' });
    return;
  }
  res.json({ greeting: `Hello, ${req.params.name}!` });
});

app.use(errorHandler(sdk));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`greeter listening on http://127.0.0.1:${port}`);
});

// SIGTERM (and SIGUSR2) drain: health DOWN, keep serving 1 s so a balancer polling /healthz sees
// it, stop accepting, finish every request in flight, exit 0 (src/sdk/README.md, "Drain and
// drift"). 1 s and 4 s fit inside the 5 s a gate or drill waits before SIGKILL; behind a real
// load balancer, announce for its probe period × failure threshold instead.
sdk.serve(server, { signals: true, announceMs: 1000, timeoutMs: 4000 });
process.once('SIGINT', () => process.kill(process.pid, 'SIGTERM'));
