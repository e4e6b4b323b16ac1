import {
  ATTRIBUTES,
  INTENTS,
  installIntent,
  intentsOf,
  attributesOf,
  type ClassAttributes,
  type Installation,
  type RegistrationIntent,
} from '../container/intents.js';
import type { Scope } from '../container/scope.js';
import type { AnyClass } from './class-target.js';

/** Where each class's decoration-time registrations went, so a later modifier can redo them. */
const installed = new WeakMap<AnyClass, Array<{ scope: Scope; intent: RegistrationIntent; at: Installation }>>();

/** @internal Appends `intent` to the class's own intents (a non-enumerable static under `Symbol.for`). */
export function recordIntent(cls: AnyClass, intent: RegistrationIntent): void {
  define(cls, INTENTS, Object.freeze([...intentsOf(cls), Object.freeze(intent)]));
}

/** @internal Registers `intent` into `scope` now, remembering where it went. */
export function installNow(scope: Scope, cls: AnyClass, intent: RegistrationIntent): void {
  const at = installIntent(scope, cls, intent);
  const list = installed.get(cls) ?? [];
  list.push({ scope, intent, at });
  installed.set(cls, list);
}

/**
 * @internal
 * Merges modifier attributes into the class. Decorators apply bottom-up, so a modifier
 * written above a registration decorator runs after the registration was made: those
 * registrations are redone with the new attributes (same scope, same site).
 */
export function recordAttributes(cls: AnyClass, attrs: ClassAttributes): void {
  define(cls, ATTRIBUTES, Object.freeze({ ...attributesOf(cls), ...attrs }));
  const done = installed.get(cls);
  if (done === undefined) return;
  installed.set(cls, []);
  for (const { scope, intent, at } of done) {
    at.registry.unregister(at.key);
    installNow(scope, cls, intent);
  }
}

function define(cls: AnyClass, key: symbol, value: unknown): void {
  Object.defineProperty(cls, key, { value, enumerable: false, configurable: true, writable: false });
}
