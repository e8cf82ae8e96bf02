// A reflective CRI codec for the test harness (it plays kubelet: RunPodSandbox, CreateContainer, … with deep
// configs), built from daemon/cri/runtime-v1.proto by protobufjs, shaped like @grpc/proto-loader used to.
// The agent itself uses the hand-written agentCodec; protobufjs is a devDependency.
import protobuf from 'protobufjs';
import { criProtoPath, PROTO_LOADER_OPTIONS, type CriCodec, type CriService } from '../../daemon/cri/client.js';

let root: protobuf.Root | undefined;

/** runtime-v1.proto, parsed once per process (camelCase field names, as proto-loader). */
export function loadCriProto(): protobuf.Root {
  if (root === undefined) {
    root = new protobuf.Root().loadSync(criProtoPath(), { keepCase: false });
    root.resolveAll();
  }
  return root;
}

function method(service: CriService, name: string): protobuf.Method | undefined {
  const m = loadCriProto().lookupService(`runtime.v1.${service}`).methods[name];
  m?.resolve();
  return m;
}

export const reflectiveCriCodec: CriCodec = {
  encode(service, name, request) {
    const m = method(service, name);
    if (!m?.resolvedRequestType) return undefined;
    const type = m.resolvedRequestType;
    return type.encode(type.fromObject(request as Record<string, unknown>)).finish();
  },
  decode(service, name, response) {
    const type = method(service, name)?.resolvedResponseType;
    if (!type) throw new Error(`${service}/${name} is not in runtime-v1.proto`);
    return type.toObject(type.decode(response), PROTO_LOADER_OPTIONS);
  },
};
