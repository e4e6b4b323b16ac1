import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

describe('examples/core (a tour of the registry core)', function () {
  this.timeout(30_000);

  it('runs to its ready line and shows each error with its code and site', () => {
    const out = execFileSync(process.execPath, ['--enable-source-maps', '.build/legacy/examples/core/main.js'], { encoding: 'utf8' });
    expect(out).to.include('drivers: pq, sqlite');
    expect(out).to.include('store: pg://localhost:6543');
    expect(out).to.match(
      /E_DUPLICATE: sql\.drivers: 'pq' is already registered \(first at examples\/core\/main\.ts:\d+, again at examples\/core\/main\.ts:\d+\)/,
    );
    expect(out).to.include("did you mean 'sqlite'?");
    expect(out).to.match(/E_FROZEN: .*cannot register 'mysql' \(at examples\/core\/main\.ts:\d+\)/);
    expect(out).to.include('E_CONFIG: storage: invalid config for');
    expect(out.trim().split('\n').at(-1)).to.equal('ready');
  });
});
