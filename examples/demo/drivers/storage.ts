/**
 * Storage drivers: each registers itself into the `storage` factory registry with a decorator,
 * like Go's `database/sql` drivers in `init()`. Importing this file is the whole wiring.
 */
import { IsInt, IsString, Min } from 'class-validator';
import { RegisterFactory } from '../../../src/decorators/index.js';

/** What every driver provides. */
export interface Storage {
  readonly driver: string;
  put(key: string, value: string): void;
  get(key: string): string | undefined;
}

class MemoryConfig {
  @IsInt() @Min(1) capacity = 100;
}

@RegisterFactory('memory', { registry: 'storage', config: MemoryConfig })
export class MemoryStorage implements Storage {
  readonly driver = 'memory';
  readonly #data = new Map<string, string>();
  constructor(readonly cfg: MemoryConfig) {}
  put(key: string, value: string): void {
    if (this.#data.size >= this.cfg.capacity) throw new Error('memory storage is full');
    this.#data.set(key, value);
  }
  get(key: string): string | undefined {
    return this.#data.get(key);
  }
}

class PrefixConfig {
  @IsString() prefix = 'demo:';
}

@RegisterFactory('prefixed-memory', { registry: 'storage', config: PrefixConfig })
export class PrefixedStorage implements Storage {
  readonly driver = 'prefixed-memory';
  readonly #data = new Map<string, string>();
  constructor(readonly cfg: PrefixConfig) {}
  put(key: string, value: string): void {
    this.#data.set(this.cfg.prefix + key, value);
  }
  get(key: string): string | undefined {
    return this.#data.get(this.cfg.prefix + key);
  }
}
