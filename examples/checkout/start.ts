// `npm run example`: the payments stand-in and the checkout service, on 127.0.0.1.
//
//   PORT           checkout port (default 8080; 0 picks a free one)
//   PAYMENTS_PORT  payments port (default 8081; 0 picks a free one)
//   PAYMENTS_URL   where checkout reaches payments (default: the one started here; sloctl's
//                  drills point it at their fault proxy)
//   HOST           listen address (default 127.0.0.1)
//
// SIGINT / SIGTERM: health turns DOWN, in-flight requests finish, both servers close, exit 0.
import { startPayments } from './payments-server.ts';
import { buildCheckout } from './service.ts';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const paymentsPort = Number(process.env.PAYMENTS_PORT ?? 8081);

const payments = await startPayments({ host, port: paymentsPort });
const checkout = await buildCheckout({ paymentsUrl: process.env.PAYMENTS_URL ?? payments.url });
const url = await checkout.app.listen({ host, port });

console.log(`checkout listening on ${url} (health ${url}${checkout.sdk.paths.health}, metrics ${url}${checkout.sdk.paths.metrics}); payments on ${payments.url}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    console.error(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: draining`);
  try {
    await checkout.close();
    await payments.close();
    console.log('stopped');
    process.exitCode = 0;
  } catch (err) {
    console.error('shutdown failed:', err);
    process.exitCode = 1;
  }
}
process.on('SIGINT', (s) => void shutdown(s));
process.on('SIGTERM', (s) => void shutdown(s));
