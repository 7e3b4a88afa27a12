// Types of bench/hello-contract.mjs (plain JavaScript: bench/experiments/parse-thread.mjs runs without tsx).
export const HELLO_CONTRACT: string;
export const HELLO_FULL: string;
export const HELLO_LIMIT_ONLY: string;
export const HELLO_MONITOR_ONLY: string;
