/**
 * The discovery contract now lives in `plugboard/testing` (src/testing), where third-party
 * backends can run it too. This module keeps the helpers' old import path for our tests.
 */
export { discoveryContract, instance, nextWithin, uniqueName, until, eventually, ids, type ContractSetup } from '../../src/testing/index.js';
