/** The result of ordering plugins by their dependencies. */
export interface DependencyOrder {
  /** Names with every dependency before them (cycle members left out). */
  readonly order: string[];
  /** Each cycle found, as a path that ends where it starts: `['a', 'b', 'a']`. */
  readonly cycles: string[][];
}

/**
 * Topological order of `deps` (name → dependency names) by depth-first search, visiting names
 * in sorted order so that the result is stable. Dependencies not in `deps` are ignored here
 * (the host reports them as missing, or finds them already loaded).
 */
export function dependencyOrder(deps: ReadonlyMap<string, readonly string[]>): DependencyOrder {
  const order: string[] = [];
  const cycles: string[][] = [];
  const inCycle = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      cycles.push(cycle);
      for (const n of cycle) inCycle.add(n);
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of [...(deps.get(name) ?? [])].sort()) if (deps.has(d)) visit(d);
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...deps.keys()].sort()) visit(name);
  return { order: order.filter((n) => !inCycle.has(n)), cycles };
}
