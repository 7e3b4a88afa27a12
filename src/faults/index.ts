// sloctl's fault proxy: TCP proxies in front of a service's dependencies, with toxiproxy's toxics
// (latency, bandwidth, slow_close, timeout, reset_peer, limit_data, slicer) and sloctl's HTTP ones
// (http_error, http_abort), seeded so a drill repeats; and a toxiproxy-compatible control API.
//
//   const proxies = new FaultProxies({ seed: 1 });
//   const payments = await proxies.create({ name: 'payments', upstream: '127.0.0.1:9001' });
//   payments.addToxic({ type: 'latency', attributes: { latency: 200 } });   // payments.listen: where the service connects
//   payments.removeToxic('latency_downstream');
//   await proxies.close();                                                  // every proxy, every fault, gone
export { FaultProxies, type FaultProxiesOptions, type ProxySpec } from './proxies.ts';
export { FaultProxy, type ProxyJson, type ProxyOptions, type ToxicSpec } from './proxy.ts';
export { startControlServer, type ControlServer, type ControlServerOptions } from './api.ts';
export { FaultApiError } from './errors.ts';
export type { TrafficStats } from './connection.ts';
export { TOXIC_TYPES } from './toxic-types.ts';
export type { ActiveToxic, Stream, ToxicJson } from './toxic.ts';
