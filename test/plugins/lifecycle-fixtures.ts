/** Plugin instances that record their lifecycle, for the race and interleaving tests. */
import type { ImplementationRegistry } from '../../src/container/index.js';
import { definePlugin, type Plugin } from '../../src/plugins/index.js';

/** A deferred: a promise plus its resolve function. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** What one instance went through: `setup`, `start`, `stop`, `dispose` (with `!` when the step threw). */
export interface Instance {
  readonly id: number;
  readonly name: string;
  readonly events: string[];
  readonly plugin: Plugin;
}

export interface InstanceOptions {
  dependencies?: readonly string[];
  /** Steps that throw. */
  faults?: ReadonlySet<'setup' | 'start' | 'stop'>;
  /** Awaited at the start of every step (a gate, or a scheduler's hook). */
  pause?: (step: string) => Promise<void> | undefined;
}

/** A factory of numbered instances; each registers `codecs/<name>` and `codecs/<name>.<id>`, with the id as value. */
export class Instances {
  readonly all: Instance[] = [];

  make(name: string, opts: InstanceOptions = {}): Instance {
    const id = this.all.length + 1;
    const events: string[] = [];
    const step = async (label: string, fault: boolean): Promise<void> => {
      await opts.pause?.(label);
      if (fault) {
        events.push(`${label}!`);
        throw new Error(`${name}#${id}: ${label} failed`);
      }
      events.push(label);
    };
    const plugin = definePlugin({
      meta: { name, version: `1.0.${id}`, api: '^1' },
      dependencies: opts.dependencies ?? [],
      async setup(ctx) {
        await step('setup', opts.faults?.has('setup') === true);
        const codecs = ctx.registry<ImplementationRegistry<number>>('ids');
        codecs.register(name, id);
        codecs.register(`${name}.${id}`, id);
      },
      start: () => step('start', opts.faults?.has('start') === true),
      stop: () => step('stop', opts.faults?.has('stop') === true),
      dispose: () => step('dispose', false),
    });
    const instance = { id, name, events, plugin };
    this.all.push(instance);
    return instance;
  }

  /** The instance behind a plugin object. */
  of(plugin: Plugin | undefined): Instance | undefined {
    return this.all.find((i) => i.plugin === plugin);
  }
}

/**
 * Whether an instance's events are a possible life: `setup` first; `start` only when not
 * running; `stop` only when running; `dispose` at most once, last, and never while running.
 * A step that threw (`start!`, `stop!`) leaves it not running.
 */
export function lifeProblem(i: Instance): string | undefined {
  let running = false;
  for (const [n, e] of i.events.entries()) {
    const bad = (why: string): string => `#${i.id} (${i.name}) ${why} at event ${n}: ${i.events.join(' ')}`;
    if (n === 0 && !e.startsWith('setup')) return bad('did not start with setup');
    if (n > 0 && e.startsWith('setup')) return bad('was set up twice');
    if (i.events.slice(0, n).includes('dispose')) return bad('did something after dispose');
    if (e.startsWith('start')) {
      if (running) return bad('was started twice');
      running = e === 'start';
    } else if (e.startsWith('stop')) {
      if (!running) return bad('was stopped without running');
      running = false;
    } else if (e === 'dispose' && running) return bad('was disposed while running');
  }
  return undefined;
}
