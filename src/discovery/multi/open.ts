/**
 * Building a multi registry from `createRegistry`: the `multi://?url=…&url=…` form and the
 * `createRegistry([…])` form (which is `multi://` with the `sources` option). Each URL source is
 * created with `createRegistry` in the caller's scope, so only backends the caller imported are
 * reachable and no optional peer is loaded here. Registered under the scheme `multi` as a
 * factory (not `@RegisterBackend`, whose classes are built synchronously: sources are created
 * asynchronously).
 */
import { InvalidOptionError, PlugboardError } from '../../container/errors.js';
import { backendRegistry, createRegistry } from '../backends.js';
import type { BackendConfig } from '../backend-config.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceRegistry } from '../types.js';
import { KIT_OPTIONS, KIT_URL_OPTIONS, parseRegistryUrl, redact, rejectUnknownOptions, type KitOptions } from '../driver/options.js';
import { MultiRegistry } from './multi-registry.js';
import { describe } from './source.js';
import { sourceIdentity } from './source-identity.js';

/** Options of `multi://` given in code (`createRegistry('multi://', { sources })`, or `createRegistry([…], options)`). */
export interface MultiRegistryOptions extends KitOptions {
  /** The sources, in order of precedence: URLs, or registries built in code (the multi registry then owns and closes them). Overrides the URL's `url` options. */
  sources?: ReadonlyArray<string | URL | ServiceRegistry>;
}

/** Builds the multi registry `config` describes. See the module comment and docs/multi.md. */
export async function openMulti(config: BackendConfig): Promise<MultiRegistry> {
  const opts = config.options as MultiRegistryOptions;
  rejectUnknownOptions('multi', config, opts, { code: ['sources', ...KIT_OPTIONS], url: ['url', ...KIT_URL_OPTIONS] });
  if (config.hosts.length > 0 || (config.url.pathname !== '' && config.url.pathname !== '/')) {
    throw new DiscoveryError('E_DISCOVERY_URL', `multi URL: takes no host or path; list the sources as multi://?url=<url>&url=<url>`, { key: 'host' });
  }
  const inCode = opts.sources !== undefined;
  const entries: ReadonlyArray<unknown> = inCode
    ? Array.isArray(opts.sources)
      ? opts.sources
      : fail(true, `must be an array of URLs or registries, got ${typeof opts.sources}`)
    : config.url.searchParams.getAll('url');
  if (entries.length === 0)
    fail(
      inCode,
      inCode ? 'needs at least one source' : 'needs at least one source: multi://?url=<url>&url=<url> (percent-encode a source URL that has & or # in it)',
    );
  const seen = new Map<string, number>();
  const plan = entries.map((e, i): { url: string | URL; label: string } | ServiceRegistry => {
    if (typeof e !== 'string' && !(e instanceof URL)) return e as ServiceRegistry; // checked by the constructor
    const text = String(e);
    let parsed: ReturnType<typeof parseRegistryUrl>;
    try {
      parsed = parseRegistryUrl(e);
    } catch (err) {
      return fail(inCode, `source ${i + 1}: ${describe(err)}`, err);
    }
    if (parsed.url.protocol === 'multi:') fail(inCode, `source ${i + 1} '${redact(text)}' is itself multi://; list its sources instead`);
    const identity = sourceIdentity(parsed.url, parsed.hosts); // the same store, however written
    const earlier = seen.get(identity);
    if (earlier !== undefined) fail(inCode, `source ${i + 1} '${redact(text)}' repeats source ${earlier}`);
    seen.set(identity, i + 1);
    return { url: e, label: redact(text) };
  });
  const created = await Promise.allSettled(
    plan.map((p) => (isPlanned(p) ? createRegistry(p.url, config.scope === undefined ? {} : { scope: config.scope }) : Promise.resolve(p))),
  );
  const failure = created.findIndex((c) => c.status === 'rejected');
  try {
    if (failure >= 0) throw sourceError(failure, (created[failure] as PromiseRejectedResult).reason);
    const registries = created.map((c) => (c as PromiseFulfilledResult<ServiceRegistry>).value);
    const { sources: _sources, ...kit } = opts;
    return new MultiRegistry(registries, kit, { config, labels: plan.map((p) => (isPlanned(p) ? p.label : undefined)) });
  } catch (err) {
    // Close what was created here from URLs; registries passed in stay the caller's.
    await Promise.all(created.map((c, i) => (c.status === 'fulfilled' && isPlanned(plan[i]!) ? c.value.close() : Promise.resolve())));
    throw err;
  }
}

function isPlanned(p: { url: string | URL; label: string } | ServiceRegistry): p is { url: string | URL; label: string } {
  return typeof p === 'object' && p !== null && 'label' in p && 'url' in p && !('register' in p);
}

/** Bad sources: `E_INVALID_OPTION` naming `sources` when given in code, `E_DISCOVERY_URL` in a URL. */
function fail(inCode: boolean, why: string, cause?: unknown): never {
  if (inCode) throw new InvalidOptionError('discovery.multi', 'sources', why);
  throw new DiscoveryError('E_DISCOVERY_URL', `multi URL: ${why}`, { key: 'url', ...(cause === undefined ? {} : { cause }) });
}

/** A source that could not be created: its error, with the source's position added to the message and the code kept. */
function sourceError(i: number, err: unknown): unknown {
  if (err instanceof DiscoveryError)
    return new DiscoveryError(err.code, `multi: source ${i + 1}: ${err.message}`, { cause: err, ...(err.key === undefined ? {} : { key: err.key }) });
  if (err instanceof PlugboardError) return err;
  return new DiscoveryError('E_DISCOVERY_BACKEND', `multi: source ${i + 1} could not be created: ${describe(err)}`, { cause: err });
}

backendRegistry().register('multi', openMulti, { replace: true });
