/**
 * #32: npm 11 blocks dependency install scripts not covered by package.json's `allowScripts`
 * (`npm install-scripts ls` lists them) and ends `npm ci` with "install scripts not yet covered
 * by allowScripts". Every package of the lockfile with an install script must be declared.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';

interface Lock {
  packages: Record<string, { hasInstallScript?: boolean }>;
}

describe('package: install scripts declared for npm 11', () => {
  it('allowScripts covers every locked package with an install script (zookeeper must build its native client)', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).to.include('zookeeper');
    const declared = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(?<=.)@.*$/, ''));
    expect(
      withScripts.filter((n) => !declared.includes(n)),
      'not declared in allowScripts',
    ).to.deep.equal([]);
    expect(pkg.allowScripts?.['zookeeper']).to.equal(true);
  });
});
