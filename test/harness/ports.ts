// Free loopback ports for services the tests start (Prometheus, etcd) that cannot bind port 0 and report it.
export { freePort } from '../../lib/net.js';
