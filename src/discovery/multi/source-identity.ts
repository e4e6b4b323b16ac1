/**
 * When two source URLs name the same store, so a multi registry refuses the second: scheme,
 * hosts (in any order, any case) and where in that store the data lives (the path, or the
 * `prefix`/`root` option that stands for it, with trailing slashes dropped; Consul's `dc`).
 * Every other query option (ttl, timeout, tls…) is how a client talks to the store, not which
 * store it is, so `memory://a?ttl=5` and `memory://a/` are both `memory://a`.
 */

/** Query options that select where the data lives rather than how the client behaves. */
const PLACE_OPTIONS = ['prefix', 'root', 'dc'] as const;

/** The identity of the store a parsed source URL names (see the module comment). */
export function sourceIdentity(url: URL, hosts: readonly string[]): string {
  const q = url.searchParams;
  const [prefix, root, dc] = PLACE_OPTIONS.map((o) => q.get(o));
  const path = prefix ?? root ?? safeDecode(url.pathname);
  const place = path.replace(/\/+$/, '');
  const hostList = hosts.map((h) => h.toLowerCase()).sort();
  return JSON.stringify([url.protocol.toLowerCase(), hostList, place === '' || place.startsWith('/') ? place : `/${place}`, dc ?? '']);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape is the backend's error to report, with its own message
  }
}
