/** The conformance kit's free-port helper, for the test support servers. */
export { freePort } from '../../src/testing/tcp-proxy.js';
