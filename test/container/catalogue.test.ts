import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DI_CODES, DISCOVERY_CODES, PLUGBOARD_CODES, PLUGIN_CODES, REGISTRY_CODES } from '../../src/container/codes.js';
import { PlugboardAggregateError, PlugboardError, RegistryError, type PlugboardCode, type PluginCode as CorePluginCode } from '../../src/container/index.js';
import { PluginError, type PluginCode } from '../../src/plugins/index.js';

/** Issue #16: one error catalogue (codes.ts), and docs/errors.md with a row per code. */
describe('the error catalogue', () => {
  it('lists every code used in the sources, once', () => {
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const used = new Set(files.flatMap((f) => [...readFileSync(join('src', f), 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)].map((m) => m[1]!)));
    const known = new Set<string>(PLUGBOARD_CODES);
    expect([...used].filter((c) => !known.has(c)).sort()).to.deep.equal([]);
    expect(PLUGBOARD_CODES.length).to.equal(known.size, 'no code is listed twice');
  });

  it('docs/errors.md has exactly one row per code, each saying what it means and what to do', () => {
    const rows = readFileSync('docs/errors.md', 'utf8')
      .split('\n')
      .filter((l) => /^\| `E_/.test(l))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows.map((r) => r[0]!.replace(/`/g, ''))).to.have.members([...PLUGBOARD_CODES]);
    expect(rows).to.have.length(PLUGBOARD_CODES.length);
    for (const r of rows)
      expect(
        r.filter((c) => c.length > 0),
        r[0],
      ).to.have.length(4);
  });

  it('has the families the layers use: E_PLUGIN_BOOT and E_PLUGIN_STATE are plugin codes; the DI and discovery codes are there', () => {
    const boot: PluginCode = 'E_PLUGIN_BOOT';
    const same: CorePluginCode = boot;
    expect(PLUGIN_CODES).to.include(same).and.include('E_PLUGIN_STATE');
    expect(DI_CODES).to.deep.equal([
      'E_DI_CYCLE',
      'E_DI_MISSING',
      'E_DI_CONTEXT',
      'E_DI_ASYNC',
      'E_DI_TOKEN',
      'E_DI_PARAMS',
      'E_DI_DISPOSED',
      'E_DI_ABORTED',
      'E_DI_DISPOSE',
    ]);
    expect(DISCOVERY_CODES).to.include('E_DISCOVERY_MISUSE');
    expect(REGISTRY_CODES).to.include('E_UNKNOWN');
  });

  it('one class per family, all PlugboardErrors', () => {
    const cases: Array<[PlugboardError | PlugboardAggregateError, PlugboardCode]> = [
      [new RegistryError('E_SNAPSHOT', 'x'), 'E_SNAPSHOT'],
      [new PluginError('E_PLUGIN_STATE', 'x'), 'E_PLUGIN_STATE'],
      [new PlugboardAggregateError('E_PLUGIN_BOOT', [], 'x'), 'E_PLUGIN_BOOT'],
    ];
    for (const [err, code] of cases) {
      expect(err).to.be.instanceOf(PlugboardError);
      expect(err.code).to.equal(code);
    }
  });
});
