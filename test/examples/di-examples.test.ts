import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

describe('examples/di (run so they cannot rot)', function () {
  this.timeout(30_000);
  for (const name of ['inversify', 'tsyringe']) {
    it(`${name}: builds a driver with config + injected logger and injects Discovery`, () => {
      const out = execFileSync(process.execPath, ['--enable-source-maps', `.build/legacy/examples/di/${name}.js`], { encoding: 'utf8' });
      expect(out.trim().split('\n')).to.deep.equal(['[log] s3 storage for bucket photos', 'storage bucket: photos', 'greeter peers: 1']);
    });
  }
});
