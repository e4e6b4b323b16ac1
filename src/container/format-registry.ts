import { BaseRegistry, type Prepared } from './base-registry.js';
import type { Entry, RegisterOptions } from './entry.js';
import { InvalidOptionError, RegistryError } from './errors.js';

/** A magic prefix: a latin-1 string where `?` matches any byte, or explicit bytes (`'?'` for any). */
export type Magic = string | Uint8Array | ReadonlyArray<number | '?'>;

/** A registered format: its magic prefix and its decoder. */
export interface Format<T> {
  /** The prefix that identifies the format (`?` matches any byte). */
  readonly magic: Magic;
  /** Turns the bytes into a value. */
  readonly decode: (bytes: Uint8Array) => T;
}

/** What {@link FormatRegistry.sniff} finds. */
export interface SniffResult<T> {
  /** The format's name. */
  readonly name: string;
  /** Its decoder. */
  readonly decode: (bytes: Uint8Array) => T;
}

const MAX_MAGIC = 1024;
const COMPILED = Symbol('plugboard.format.magic');

/** Compiles a magic prefix to byte values, with -1 for a wildcard. */
function compileMagic(registry: string, name: string, magic: Magic): readonly number[] {
  let bytes: Array<number>;
  if (typeof magic === 'string') {
    bytes = [...magic].map((ch) => {
      if (ch === '?') return -1;
      const c = ch.charCodeAt(0);
      if (ch.length !== 1 || c > 0xff) throw new InvalidOptionError(registry, name, 'a magic string must be latin-1 (one byte per character)');
      return c;
    });
  } else if (magic instanceof Uint8Array || Array.isArray(magic)) {
    bytes = [...(magic as ArrayLike<number | '?'> & Iterable<number | '?'>)].map((b) => {
      if (b === '?') return -1;
      if (!Number.isInteger(b) || b < 0 || b > 255)
        throw new InvalidOptionError(registry, name, `magic bytes must be integers 0..255 or '?', got ${String(b)}`);
      return b;
    });
  } else {
    throw new InvalidOptionError(registry, name, 'magic must be a string, a Uint8Array or an array of bytes');
  }
  if (bytes.length === 0) throw new InvalidOptionError(registry, name, 'magic must not be empty');
  if (bytes.length > MAX_MAGIC) throw new InvalidOptionError(registry, name, `magic must be at most ${MAX_MAGIC} bytes`);
  return Object.freeze(bytes); // frozen: entries() hands meta to readers, who must not change sniffing
}

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function hex(magic: Iterable<number>): string {
  return [...magic].map((b) => (b < 0 ? '??' : b.toString(16).padStart(2, '0'))).join(' ');
}

/**
 * Decoders found by sniffing a magic prefix: the `image.RegisterFormat` shape. `?` is a
 * wildcard byte; when several prefixes match, the longest wins (then the earliest registered).
 *
 * ```ts
 * formats.register('png', '\x89PNG\r\n\x1a\n', decodePng);
 * formats.register('webp', 'RIFF????WEBP', decodeWebp);
 * formats.sniff(bytes)?.name; // 'png'
 * ```
 */
export class FormatRegistry<T = unknown> extends BaseRegistry<Format<T>, RegisterOptions> {
  static override readonly kind: string = 'format';

  #sorted: Array<Entry<Format<T>>> = [];
  #sortedFor = '';

  /** Registers a format: `register(name, magic, decode, opts?)` or `register(name, { magic, decode }, opts?)`. */
  override register(
    name: string,
    magicOrFormat: Format<T> | Magic,
    decodeOrOpts?: ((bytes: Uint8Array) => T) | RegisterOptions,
    opts?: RegisterOptions,
  ): string {
    if (typeof decodeOrOpts === 'function') {
      return super.register(name, { magic: magicOrFormat as Magic, decode: decodeOrOpts }, opts);
    } else {
      return super.register(name, magicOrFormat as Format<T>, decodeOrOpts);
    }
  }

  protected override prepare(name: string, value: Format<T>, opts: RegisterOptions | undefined, site: string | undefined): Prepared<Format<T>> {
    const p = super.prepare(name, value, opts, site);
    if (typeof value !== 'object' || typeof value.decode !== 'function') {
      throw new InvalidOptionError(this.id, name, 'a format needs a magic prefix and a decode function');
    }
    const compiled = compileMagic(this.id, name, value.magic);
    p.value = Object.freeze({ magic: value.magic, decode: value.decode });
    p.meta = { magic: hex(compiled), [COMPILED]: compiled };
    return p;
  }

  /** The format whose magic prefix matches the start of `bytes` (longest match wins), or `undefined`. */
  sniff(input: Uint8Array | ArrayBuffer | ArrayBufferView): SniffResult<T> | undefined {
    const bytes = this.#bytes(input, 'sniff');
    for (const e of this.byLength()) {
      const magic = e.meta[COMPILED] as readonly number[];
      if (bytes.length < magic.length) continue;
      let ok = true;
      for (let i = 0; i < magic.length; i++) {
        const m = magic[i]!;
        if (m >= 0 && m !== bytes[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { name: e.key, decode: e.value.decode };
    }
    return undefined;
  }

  /** Sniffs and decodes. Throws `RegistryError` `E_UNKNOWN_FORMAT` when no magic matches. */
  decode(input: Uint8Array | ArrayBuffer | ArrayBufferView): { name: string; value: T } {
    const bytes = this.#bytes(input, 'decode');
    const hit = this.sniff(bytes);
    if (hit === undefined) {
      const head = hex(bytes.subarray(0, 8));
      throw new RegistryError(
        'E_UNKNOWN_FORMAT',
        `${this.id}: no registered format matches the input (starts with ${head || 'nothing'}); known: ${this.names().join(', ') || '(none)'}`,
        {
          registry: this.id,
        },
      );
    }
    return { name: hit.name, value: hit.decode(bytes) };
  }

  /** The bytes of `input`: a Uint8Array as is, any other view or an ArrayBuffer as a Uint8Array over the same memory. */
  #bytes(input: unknown, operation: string): Uint8Array {
    if (input instanceof Uint8Array) return input;
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) return new Uint8Array(input);
    throw new InvalidOptionError(
      this.id,
      undefined,
      `${operation} needs bytes (a Uint8Array, another typed array or an ArrayBuffer), got ${describeInput(input)}`,
    );
  }

  private byLength(): Array<Entry<Format<T>>> {
    const v = this.lineageVersion();
    if (v !== this.#sortedFor) {
      this.#sorted = [...this.merged().values()].sort(
        (a, b) => (b.meta[COMPILED] as readonly number[]).length - (a.meta[COMPILED] as readonly number[]).length || a.seq - b.seq,
      );
      this.#sortedFor = v;
    }
    return this.#sorted;
  }
}
