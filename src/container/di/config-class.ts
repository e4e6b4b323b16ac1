/**
 * The class of a factory product's validated config: a class-validator spec makes instances of
 * its class, so `constructor(readonly cfg: PgConfig)` can be filled by type, in the native
 * injector and in the container bridges alike.
 */

/** The class of `config`, unless it is not an object or a plain one. */
export function configClassOf(config: unknown): (abstract new (...args: never[]) => unknown) | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const ctor: unknown = config.constructor;
  return typeof ctor === 'function' && ctor !== Object ? (ctor as abstract new (...args: never[]) => unknown) : undefined;
}
