import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { ConfigValidationError, type ConfigViolation } from './errors.js';

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
 * - a plain function that returns the config or throws.
 */
export type ConfigSpec<C> = ConfigClass<C> | StandardSchemaV1<C> | ((raw: unknown) => C);

/** Whether `fn` is a `class` (as opposed to a plain function). */
export function isClass(fn: unknown): fn is new (...args: never[]) => unknown {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Whether `spec` is something {@link validateConfig} can use. */
export function isConfigSpec(spec: unknown): spec is ConfigSpec<unknown> {
  return typeof spec === 'function' || isStandardSchema(spec);
}

function isStandardSchema(spec: unknown): spec is StandardSchemaV1 {
  return typeof spec === 'object' && spec !== null && typeof (spec as StandardSchemaV1)['~standard']?.validate === 'function';
}

function flatten(errors: readonly ValidationError[], prefix = ''): ConfigViolation[] {
  const out: ConfigViolation[] = [];
  for (const e of errors) {
    const property = prefix === '' ? e.property : `${prefix}.${e.property}`;
    if (e.constraints !== undefined && Object.keys(e.constraints).length > 0) out.push({ property, constraints: { ...e.constraints } });
    if (e.children !== undefined && e.children.length > 0) out.push(...flatten(e.children, property));
  }
  return out;
}

const CLASS_VALIDATOR_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/**
 * Checks `raw` against `spec` and returns the validated config. Throws
 * `ConfigValidationError` listing every violated property and constraint.
 */
export async function validateConfig<C>(registry: string, key: string, spec: ConfigSpec<C> | undefined, raw: unknown): Promise<C> {
  if (spec === undefined) return raw as C;
  if (isStandardSchema(spec)) {
    const result = await spec['~standard'].validate(raw);
    if (result.issues === undefined) return result.value as C;
    throw new ConfigValidationError(
      registry,
      key,
      result.issues.map((issue) => ({
        property: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(root)',
        constraints: { schema: issue.message },
      })),
    );
  }
  if (isClass(spec)) {
    const input = raw === undefined ? {} : raw;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ConfigValidationError(registry, key, [{ property: '(root)', constraints: { isObject: `config must be an object, got ${describe(input)}` } }]);
    }
    const instance = plainToInstance(spec, input, { exposeDefaultValues: true }) as object;
    const errors = await validate(instance, CLASS_VALIDATOR_OPTIONS);
    if (errors.length > 0) throw new ConfigValidationError(registry, key, flatten(errors));
    return instance as C;
  }
  try {
    return (spec as (raw: unknown) => C)(raw);
  } catch (err) {
    throw new ConfigValidationError(registry, key, [
      { property: '(root)', constraints: { validate: err instanceof Error ? err.message : String(err) } },
    ]);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
