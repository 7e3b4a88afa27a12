// A small seeded PRNG (mulberry32, public domain): fast, 32-bit state, good enough to pick routes and
// parameter values. Seeded so a run's request sequence is reproducible.

export type Random = () => number;

/** Returns a function giving floats in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
