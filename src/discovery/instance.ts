/** One running instance of a service (go-kratos's `ServiceInstance`). */
export interface ServiceInstance {
  /** Unique per instance, e.g. `greeter-7f3a`. */
  readonly id: string;
  /** The service name, e.g. `greeter`. */
  readonly name: string;
  /** The service version, e.g. `v1.2.0` (may be empty). */
  readonly version: string;
  /** String-only metadata (`weight`, `zone`, …). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Endpoint URLs, e.g. `http://127.0.0.1:8000`, `grpc://10.0.0.1:9000?isSecure=false`. */
  readonly endpoints: readonly string[];
}

/** What `register` accepts: the version and metadata may be omitted. */
export type ServiceInstanceInput = Omit<ServiceInstance, 'version' | 'metadata'> & {
  readonly version?: string;
  readonly metadata?: Readonly<Record<string, string>>;
};
