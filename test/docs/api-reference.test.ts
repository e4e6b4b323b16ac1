import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `npm run docs`: typedoc over every entry point, with missing doc comments on public exports as errors. */
describe('docs: typedoc API reference', function () {
  this.timeout(180_000);

  it('builds with no warnings (every public export has a doc comment)', () => {
    const r = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    const out = `${r.stdout}${r.stderr}`;
    expect(out, out).to.not.match(/\[warning\]|does not have any documentation/);
    expect(r.status, out).to.equal(0);
    expect(existsSync('docs/api/index.html')).to.equal(true);
  });
});
