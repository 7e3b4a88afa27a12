// A small seeded PRNG (mulberry32, public domain): fast, 32-bit state, good enough to order routes
// and pick parameter values. Seeded so a run's request sequence is reproducible. `hash32` mixes
// two numbers into a seed (murmur3's finalizer), so a stream can be keyed by (seed, block) or
// (seed, request index) and computed for any index without walking the ones before it.

export type Random = () => number;

/** Returns a function giving floats in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): Random {
  const r = reseedable();
  r.seed(seed);
  return r.rand;
}

/** One mulberry32 generator whose state can be set again (no allocation per reseed). */
export function reseedable(): { rand: Random; seed(s: number): void } {
  let a = 0;
  return {
    seed(s: number): void {
      a = s >>> 0;
    },
    rand(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed from a seed and a non-negative integer key (a block, a request index, a trial):
 * different keys give unrelated streams. Keys up to 2^53 are told apart.
 */
export function hash32(seed: number, key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32((h ^ lo) + 0x7f4a7c15);
  if (hi !== 0) h = fmix32((h ^ hi) + 0x165667b1);
  return h;
}

/**
 * The seed of one phase of a run, from the run's seed: the gate gives its warm-up phase 0 and
 * trial k (1-based) phase k, so every trial sends its own sequence and `--seed` fixes them all.
 */
export function phaseSeed(runSeed: number, phase: number): number {
  return hash32(runSeed, phase);
}
