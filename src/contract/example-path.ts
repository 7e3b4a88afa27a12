// Where a user finds a contract that uses every section: the bundled example, which the npm
// package ships (package.json "files"), so hints can point at it on a machine without the repository.
export const EXAMPLE_CONTRACT = 'node_modules/sloctl/examples/checkout/slo.yaml';
