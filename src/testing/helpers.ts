/** Small helpers the suites use, exported for tests of a backend of one's own. */
import type { ServiceInstance } from '../discovery/instance.js';
import type { Watcher } from '../discovery/types.js';

let counter = 0;
/** A service name no other test uses. */
export function uniqueName(prefix = 'svc'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A valid instance of `name`. */
export function instance(name: string, id: string, extra: Partial<ServiceInstance> = {}): ServiceInstance {
  return { id, name, version: 'v1', metadata: {}, endpoints: [`http://127.0.0.1:${10000 + (counter % 50000)}`], ...extra };
}

/** The ids of a list, sorted. */
export const ids = (l: readonly ServiceInstance[]): string[] => l.map((i) => i.id).sort();

/** `w.next()`, or a clear failure after `ms`. */
export async function nextWithin(w: Watcher, ms: number, what = 'next()'): Promise<ServiceInstance[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      w.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the watcher until a list satisfies `ok`; returns it. */
export async function until(w: Watcher, ok: (l: ServiceInstance[]) => boolean, ms: number, what: string): Promise<ServiceInstance[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`watcher never showed ${what} within ${ms} ms`);
    const l = await nextWithin(w, left, `waiting for ${what}`);
    if (ok(l)) return l;
  }
}

/**
 * Resolves once `ok()` holds, asking again after each answer with a short, growing pause; a
 * clear failure after `ms`. For conditions with no event to wait on (a store read through
 * another client).
 */
export async function eventually(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (let pause = 5; !(await ok()); pause = Math.min(pause * 2, 100)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** Whether `p` is still pending after `ms` (for "nothing happens" checks, which need a window). */
export async function pendingAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return !settled;
}
