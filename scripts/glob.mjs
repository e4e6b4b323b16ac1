// Lists files under a directory whose path matches a regular expression, sorted.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function globSync(dir, pattern) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(globSync(p, pattern));
    else if (pattern.test(p)) out.push(p);
  }
  return out.sort();
}
