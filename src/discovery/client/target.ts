import { DiscoveryError } from '../errors.js';

/** A parsed `discovery://[authority]/name[/path][?query]` target. */
export interface DiscoveryTarget {
  readonly authority: string;
  /** The service name. */
  readonly name: string;
  /** What follows the name (`/hello?x=1`), for HTTP requests; `''` when nothing does. */
  readonly rest: string;
}

/** Parses `discovery:///greeter`, `discovery://authority/greeter/path?q`. Throws `E_DISCOVERY_URL`, naming the part that is wrong. */
export function parseTarget(target: string): DiscoveryTarget {
  const m = /^discovery:\/\/([^/]*)\/([^/?#]*)([/?#].*)?$/.exec(typeof target === 'string' ? target : '');
  if (m === null)
    throw new DiscoveryError('E_DISCOVERY_URL', `target '${String(target)}': expected discovery:///<service>[/path] or discovery://<authority>/<service>`);
  let name: string;
  try {
    name = decodeURIComponent(m[2]!);
  } catch {
    throw new DiscoveryError('E_DISCOVERY_URL', `target '${target}': the service name has bad percent-encoding`);
  }
  if (name === '') throw new DiscoveryError('E_DISCOVERY_URL', `target '${target}': the service name is empty`);
  return { authority: m[1]!, name, rest: m[3] ?? '' };
}
