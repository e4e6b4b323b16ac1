import type * as grpc from '@grpc/grpc-js';

const passthrough = (b: Buffer): Buffer => b;

/** A one-method gRPC service over raw bytes: what the transport tests call, without protobuf. */
export const greeterDefinition = {
  sayHello: {
    path: '/test.Greeter/SayHello',
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
} as unknown as grpc.ServiceDefinition;
