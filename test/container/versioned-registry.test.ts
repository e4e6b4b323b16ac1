import { expect } from 'chai';
import { DuplicateRegistrationError, InvalidVersionError, UnknownNameError, VersionedRegistry } from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

describe('VersionedRegistry', () => {
  let apis: VersionedRegistry<string>;
  beforeEach(() => {
    apis = new VersionedRegistry('apis');
    apis.register('greeter', 'g1.0', { version: '1.0.0' });
    apis.register('greeter', 'g1.4', { version: '1.4.2' });
    apis.register('greeter', 'g2.0', { version: '2.0.0' });
    apis.register('greeter', 'g3-beta', { version: '3.0.0-beta.1' });
    apis.register('@acme/codec', 'c', { version: '0.1.0' });
  });

  it('resolves a pinned version, a range to its highest match, and the latest release', () => {
    expect(apis.get('greeter', '1.0.0')).to.equal('g1.0');
    expect(apis.get('greeter', '^1')).to.equal('g1.4');
    expect(apis.get('greeter', '>=1.1 <3')).to.equal('g2.0');
    expect(apis.latest('greeter')).to.equal('g2.0');
    expect(apis.get('greeter')).to.equal('g2.0');
    expect(apis.get('greeter', '^3.0.0-beta')).to.equal('g3-beta');
  });

  it('falls back to the highest pre-release when there is no release', () => {
    apis.register('edge', 'e1', { version: '0.0.1-alpha' });
    apis.register('edge', 'e2', { version: '0.0.1-beta' });
    expect(apis.latest('edge')).to.equal('e2');
  });

  it('lists versions ascending and distinct names', () => {
    expect(apis.versions('greeter')).to.deep.equal(['1.0.0', '1.4.2', '2.0.0', '3.0.0-beta.1']);
    expect(apis.names()).to.deep.equal(['@acme/codec', 'greeter']);
    expect(apis.versions('nope')).to.deep.equal([]);
  });

  it('misses without throwing', () => {
    expect(apis.get('greeter', '^9')).to.equal(undefined);
    expect(apis.get('nope')).to.equal(undefined);
    expect(apis.has('greeter', '^1')).to.equal(true);
    expect(apis.has('greeter', '^9')).to.equal(false);
  });

  it('rejects a duplicate name@version', () => {
    expectError(() => apis.register('greeter', 'again', { version: '1.0.0' }), DuplicateRegistrationError, 'E_DUPLICATE', "apis: 'greeter@1.0.0'");
  });

  it('rejects bad semver and bad ranges with InvalidVersionError', () => {
    expectError(
      () => apis.register('x', 'x', { version: 'not-semver' }),
      InvalidVersionError,
      'E_INVALID_VERSION',
      "apis: 'x': not a valid semver version",
      'not-semver',
    );
    expectError(() => apis.register('x', 'x', {} as never), InvalidVersionError, 'E_INVALID_VERSION', 'a version is required');
    expectError(() => apis.get('greeter', '^^1'), InvalidVersionError, 'E_INVALID_VERSION', 'not a valid semver range');
    expect(apis.names()).to.deep.equal(['@acme/codec', 'greeter']);
  });

  it('mustGet names the versions when none satisfies the range, and the names when the name is unknown', () => {
    expectError(() => apis.mustGet('greeter', '^9'), InvalidVersionError, 'E_INVALID_VERSION', '1.0.0, 1.4.2, 2.0.0');
    expectError(() => apis.mustGet('greter'), UnknownNameError, 'E_UNKNOWN', "did you mean 'greeter'?");
  });

  it('unregisters one version or all of them', () => {
    expect(apis.unregister('greeter', '2.0.0')).to.equal(true);
    expect(apis.latest('greeter')).to.equal('g1.4');
    expect(apis.unregister('greeter')).to.equal(true);
    expect(apis.names()).to.deep.equal(['@acme/codec']);
  });
});
