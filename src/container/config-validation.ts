import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { ConfigValidationError, PlugboardError, type ConfigViolation } from './errors.js';

/** The `~standard` interface shared by zod ≥ 3.24, valibot 1.x, arktype (Standard Schema v1). */
export interface StandardSchemaV1<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    /** Validates `value`: its output, or the issues found. */
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: Output; readonly issues?: undefined }
      | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }
      | Promise<
          | { readonly value: Output; readonly issues?: undefined }
          | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }
        >;
  };
}

/** A config class: constructed with no arguments; its initialisers are the defaults. */
export type ConfigClass<C> = new () => C;

/**
 * How a factory's config is checked:
 * - a class decorated with class-validator (the default way; unknown keys are rejected and
 *   the class's initialisers supply defaults);
 * - a Standard Schema validator (zod, valibot, arktype), for code on TC39 decorators, where
 *   class-validator's legacy property decorators cannot be written;
 * - a plain function that returns the config (or a promise of it) or throws.
 */
export type ConfigSpec<C> = ConfigClass<C> | StandardSchemaV1<C> | ((raw: unknown) => C | Promise<C>);

/** @internal Whether `fn` is a `class` (as opposed to a plain function). */
export function isClass(fn: unknown): fn is new (...args: never[]) => unknown {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Config classes known to carry class-validator metadata (checked once per class). */
const decorated = new WeakSet<object>();

/**
 * @internal Why `spec` cannot be used as a config spec, or `undefined` when it can. A class
 * without class-validator decorators is refused here, at registration: class-validator would
 * reject every config with "an unknown value was passed to the validate function".
 */
export function configSpecProblem(spec: unknown): string | undefined {
  if (isStandardSchema(spec)) return undefined;
  if (typeof spec !== 'function') return `config must be a class (class-validator), a Standard Schema validator or a validate function, got ${describe(spec)}`;
  if (!isClass(spec) || decorated.has(spec)) return undefined;
  if (getMetadataStorage().getTargetValidationMetadatas(spec, '', true, false).length > 0) {
    decorated.add(spec);
    return undefined;
  }
  return `config class ${spec.name || '(anonymous)'} has no class-validator decorators: decorate its properties (@IsString(), …), or pass a validate function or a Standard Schema validator`;
}

function isStandardSchema(spec: unknown): spec is StandardSchemaV1 {
  return typeof spec === 'object' && spec !== null && typeof (spec as StandardSchemaV1)['~standard']?.validate === 'function';
}

function flatten(errors: readonly ValidationError[], prefix = ''): ConfigViolation[] {
  const out: ConfigViolation[] = [];
  for (const e of errors) {
    // class-validator reports a nested class without decorators with no property name.
    const property = e.property === undefined ? prefix || '(root)' : prefix === '' ? e.property : `${prefix}.${e.property}`;
    if (e.constraints !== undefined && Object.keys(e.constraints).length > 0) out.push({ property, constraints: { ...e.constraints } });
    if (e.children !== undefined && e.children.length > 0) out.push(...flatten(e.children, property));
  }
  return out;
}

const CLASS_VALIDATOR_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/** Deepest nesting of a config checked by class; class-transformer recurses without a limit. */
const MAX_DEPTH = 32;

/**
 * What class-transformer would not report: a cycle or a nesting past {@link MAX_DEPTH} (it
 * recurses until the stack overflows), and `__proto__` / `constructor` keys (it drops them
 * silently, where every other unknown key is rejected). `ancestors` and `path` lead to `o`.
 */
function shapeViolations(o: object, ancestors: object[], path: string[], out: ConfigViolation[]): ConfigViolation[] {
  if (ancestors.includes(o)) out.push({ property: path.join('.'), constraints: { cycle: 'the config contains itself (a cycle)' } });
  else if (ancestors.length > MAX_DEPTH) out.push({ property: path.join('.'), constraints: { depth: `the config is nested deeper than ${MAX_DEPTH} levels` } });
  else {
    ancestors.push(o);
    for (const k of Object.keys(o)) {
      if (k === '__proto__' || k === 'constructor') {
        out.push({ property: [...path, k].join('.'), constraints: { whitelistValidation: `property ${k} should not exist` } });
        continue;
      }
      const v = (o as Record<string, unknown>)[k];
      if (typeof v !== 'object' || v === null) continue;
      path.push(k);
      shapeViolations(v, ancestors, path, out);
      path.pop();
    }
    ancestors.pop();
  }
  return out;
}

/** A config spec made into one function, so that a `new()` does not work out the spec's kind again. */
type ConfigValidator<C> = (registry: string, key: string, raw: unknown) => Promise<C>;

/** Validators by spec, made on first use. */
const validators = new WeakMap<object, ConfigValidator<unknown>>();

function validatorOf<C>(spec: ConfigSpec<C>): ConfigValidator<C> {
  let v = validators.get(spec) as ConfigValidator<C> | undefined;
  if (v !== undefined) return v;
  if (isStandardSchema(spec)) v = async (registry, key, raw) => fromSchema<C>(registry, key, await spec['~standard'].validate(raw));
  else if (isClass(spec)) v = (registry, key, raw) => viaClassValidator(registry, key, spec, raw);
  else v = async (_registry, _key, raw) => spec(raw);
  validators.set(spec, v);
  return v;
}

/**
 * Checks `raw` against `spec` and returns the validated config. Throws
 * `ConfigValidationError` (`E_CONFIG`) listing every violated property and constraint; a
 * validator that throws or rejects instead of reporting issues is reported the same way, with
 * what it threw as `cause`.
 */
export async function validateConfig<C>(registry: string, key: string, spec: ConfigSpec<C> | undefined, raw: unknown): Promise<C> {
  if (spec === undefined) return raw as C;
  try {
    return await validatorOf(spec)(registry, key, raw);
  } catch (err) {
    if (err instanceof PlugboardError) throw err;
    throw new ConfigValidationError(registry, key, [{ property: '(root)', constraints: { validate: err instanceof Error ? err.message : String(err) } }], err);
  }
}

type SchemaResult<C> = Awaited<ReturnType<StandardSchemaV1<C>['~standard']['validate']>>;

function fromSchema<C>(registry: string, key: string, result: SchemaResult<C>): C {
  if (result.issues === undefined) return result.value;
  throw new ConfigValidationError(
    registry,
    key,
    result.issues.map((issue) => ({
      property: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(root)',
      constraints: { schema: issue.message },
    })),
  );
}

async function viaClassValidator<C>(registry: string, key: string, spec: ConfigClass<C>, raw: unknown): Promise<C> {
  const input = raw === undefined ? {} : raw;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigValidationError(registry, key, [{ property: '(root)', constraints: { isObject: `config must be an object, got ${describe(input)}` } }]);
  }
  const shape = shapeViolations(input, [], [], []);
  if (shape.length > 0)
    throw new ConfigValidationError(
      registry,
      key,
      shape.map((v) => ({ ...v, property: v.property || '(root)' })),
    );
  const instance = plainToInstance(spec, input, { exposeDefaultValues: true }) as object;
  const errors = await validate(instance, CLASS_VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new ConfigValidationError(registry, key, flatten(errors));
  return instance as C;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
