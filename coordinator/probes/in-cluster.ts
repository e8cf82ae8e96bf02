// Moved to lib/kube (the agent uses it too); re-exported so the probes' imports stay as they were.
export * from '../../lib/kube/in-cluster.js';
