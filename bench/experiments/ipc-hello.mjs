// Experiment: a minimal Fastify hello-world for bench/experiments/ipc-pair.mjs (READY protocol).
// The variant's name holds its parts: hook (an empty onRequest hook), msg (an IPC 'message'
// listener), prom (prom-client's default metrics), insp (an inspector Session), disc / unref (drop
// or unref the IPC channel), imp=NAME (import node_modules/.cache/bis/NAME.mjs first).
import Fastify from 'fastify';
const v = process.argv[2];
const app = Fastify({ logger: false });
if (v.includes('prom')) { const pc = await import('prom-client'); pc.collectDefaultMetrics({ register: new pc.Registry() }); }
if (v.includes('insp')) { const { Session } = await import('node:inspector'); new Session(); }
const mod = /imp=(\w+)/.exec(v); if (mod) await import(new URL(`../../node_modules/.cache/bis/${mod[1]}.mjs`, import.meta.url).href);
if (v.includes('hook')) app.addHook('onRequest', function h(_q, _r, next) { next(); });
if (v.includes('disc') && process.channel) process.disconnect();
if (v.includes('unref') && process.channel) process.channel.unref();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
if (v.includes('msg')) process.on('message', () => process.send?.(process.cpuUsage()));
