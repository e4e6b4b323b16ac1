/**
 * The conformance kit (`plugboard/testing`): what plugboard's own backends are tested with,
 * for a backend of one's own.
 * - {@link discoveryContract}: the contract suite, one call per backend.
 * - {@link discoveryInterleavings}: generated interleavings of calls and faults (fast-check's
 *   scheduler), checked against the ground truth. Needs `fast-check` (an optional peer).
 * - Fault tools: {@link TcpProxy} (cut, freeze, delay, restore one client's connection) and
 *   {@link pauseProcess} / {@link resumeProcess} (freeze a server).
 * @module
 */
export { discoveryContract, type ContractSetup, type ContractFaults, type ContractOptions } from './contract.js';
export { checkSilentPartition, checkUnreachableAtStart, type PartitionedClient, type UnreachableClient } from './partition-check.js';
export { discoveryInterleavings, type InterleavingSetup, type InterleavingOptions, type FaultContext, type Fault } from './interleavings.js';
export { TcpProxy, freePort } from './tcp-proxy.js';
export type { Partition } from './freeze-fault.js';
export { pauseProcess, resumeProcess } from './process-pause.js';
export { uniqueName, instance, ids, nextWithin, until, eventually, pendingAfter } from './helpers.js';
export type { BddRunner } from './runner.js';
