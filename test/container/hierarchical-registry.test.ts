import { expect } from 'chai';
import { HierarchicalRegistry, InvalidNameError } from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

describe('HierarchicalRegistry', () => {
  let commands: HierarchicalRegistry<string>;
  beforeEach(() => {
    commands = new HierarchicalRegistry('cli.commands');
    for (const p of ['users.list', 'users.get', 'users.roles.add', 'version']) commands.register(p, p);
  });

  it('gets by full path', () => {
    expect(commands.get('users.roles.add')).to.equal('users.roles.add');
    expect(commands.get('users')).to.equal(undefined, 'an intermediate node has no value');
  });

  it('lists direct children sorted, intermediate nodes included', () => {
    expect(commands.children()).to.deep.equal(['users', 'version']);
    expect(commands.children('users')).to.deep.equal(['users.get', 'users.list', 'users.roles']);
    expect(commands.children('nope')).to.deep.equal([]);
  });

  it('walks depth-first in sorted order', () => {
    expect([...commands.walk()].map((n) => `${n.depth}:${n.path}:${n.value === undefined ? '-' : 'v'}`)).to.deep.equal([
      '0:users:-',
      '1:users.get:v',
      '1:users.list:v',
      '1:users.roles:-',
      '2:users.roles.add:v',
      '0:version:v',
    ]);
    expect([...commands.walk('users.roles')].map((n) => n.path)).to.deep.equal(['users.roles.add']);
  });

  it('resolves argv to the deepest registered command and the rest', () => {
    expect(commands.resolve(['users', 'list', '--all'])).to.deep.equal({ path: 'users.list', value: 'users.list', rest: ['--all'] });
    expect(commands.resolve(['nope'])).to.equal(undefined);
  });

  it('rejects empty segments', () => {
    for (const bad of ['users..x', '.users', 'users.']) {
      expectError(() => commands.register(bad, bad), InvalidNameError, 'E_INVALID_NAME', 'cli.commands', 'empty path segment');
    }
  });

  it('updates the tree after changes', () => {
    commands.register('admin.reset', 'r');
    commands.unregister('version');
    expect(commands.children()).to.deep.equal(['admin', 'users']);
  });
});
