// Builds bench/fastify-hello.ts of a checkout into one esbuild bundle for bench/experiments/ab-pair.mjs,
// as bench/sdk-wrk.bench.ts builds its own (bench/sdk-from-dist.mjs's bundleServer; the SDK inlined
// unless AB_DIST=1, packages external).
//   [AB_DIST=1] node bench/experiments/ab-bundle.mjs CHECKOUT OUT
// AB_DIST=1: the SDK is not inlined; the server imports the checkout's dist/ (run `npm run build`
// there first), as the npm tarball ships it (bench/sdk-from-dist.mjs says why that differs).
// OUT must sit under this project's node_modules (e.g. node_modules/.cache/ab/new.mjs) so that its
// external packages resolve. For an older commit: `git worktree add /tmp/wt-old <commit>`, then
// `node bench/experiments/ab-bundle.mjs /tmp/wt-old node_modules/.cache/ab/main.mjs`.
import { resolve } from 'node:path';
import { bundleServer } from '../sdk-from-dist.mjs';

const [checkout, out] = process.argv.slice(2);
if (checkout === undefined || out === undefined) {
  console.error('usage: node bench/experiments/ab-bundle.mjs CHECKOUT OUT');
  process.exit(2);
}
const root = resolve(checkout);
await bundleServer(root, `${root}/bench/fastify-hello.ts`, resolve(out), { inline: !process.env.AB_DIST });
console.log(`built ${out} from ${root}`);
