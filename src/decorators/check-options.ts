/**
 * Run-time checks of a registration decorator's options, as every other options object of
 * plugboard gets: plain JavaScript and casts reach the decorators unchecked by the compiler,
 * and a mistyped `registy: 'storage'` would otherwise register into the default registry.
 */
import { closestName } from '../container/names.js';
import { Scope } from '../container/scope.js';
import { showValue } from '../container/show-value.js';
import { DecoratorError } from './class-target.js';

/** Options every registration decorator knows. */
export const COMMON_OPTIONS = ['registry', 'scope', 'replace'] as const;

/**
 * Throws `E_DECORATOR` for an options value that is not an object, a key outside `allowed`
 * (when given: the generic `@Register` passes the target kind's own options through), or a
 * known key of the wrong type.
 */
export function checkDecoratorOptions(decorator: string, name: unknown, opts: unknown, allowed: readonly string[] | undefined): void {
  const key = typeof name === 'string' ? name : undefined;
  const fail = (msg: string): never => {
    throw new DecoratorError(decorator, msg, key === undefined ? {} : { key });
  };
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) fail(`options must be an object, got ${showValue(opts)}`);
  const o = opts as Record<string, unknown>;
  if (allowed !== undefined) {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      const near = closestName(k, allowed);
      fail(`unknown option '${k}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${[...allowed].sort().join(', ')}`);
    }
  }
  if (o['registry'] !== undefined && (typeof o['registry'] !== 'string' || o['registry'] === ''))
    fail(`registry must be a registry id (a string), got ${showValue(o['registry'])}`);
  if (o['scope'] !== undefined && !(o['scope'] instanceof Scope)) fail(`scope must be a Scope, got ${showValue(o['scope'])}`);
  if (o['replace'] !== undefined && typeof o['replace'] !== 'boolean') fail(`replace must be a boolean, got ${showValue(o['replace'])}`);
  const kind = o['kind'];
  if (kind !== undefined && (typeof kind !== 'function' || typeof (kind as { kind?: unknown }).kind !== 'string')) {
    fail(`kind must be a registry class (ImplementationRegistry, TaggedRegistry…), got ${showValue(kind)}`);
  }
}
