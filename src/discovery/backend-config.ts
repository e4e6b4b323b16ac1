import type { Scope } from '../container/scope.js';

/** What a backend factory receives from `createRegistry`: the parsed URL and the options given in code (which override the URL's). */
export interface BackendConfig {
  /** The URL, with only the first host when several were given. */
  readonly url: URL;
  /** Every `host:port` of the authority (`etcd://h1:2379,h2:2379/…` gives two). */
  readonly hosts: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  /** The scope `createRegistry` searched for the scheme: a backend that creates other backends (`multi://`) searches it too. */
  readonly scope?: Scope;
}

/** Whether a backend constructor's argument is the parsed URL `createRegistry` passes (not code options or a client). */
export function isBackendConfig(value: unknown): value is BackendConfig {
  return (
    typeof value === 'object' && value !== null && 'url' in value && 'hosts' in value && 'options' in value && (value as { url: unknown }).url instanceof URL
  );
}
