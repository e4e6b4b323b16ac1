import type { ServiceRegistry } from '../types.js';

/** One backend of a multi registry: the registry and how messages and health name it. */
export interface Source {
  /** The URL it was created from (password hidden), or its backend's scheme when it was given built. */
  readonly label: string;
  readonly registry: ServiceRegistry;
}

/** `err`'s message, for messages that wrap it. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
