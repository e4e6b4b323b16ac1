import { expect } from 'chai';
import { HandlerRegistry, InvalidNameError, PlugboardError } from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

type H = (body: string) => string;

describe('HandlerRegistry', () => {
  let routes: HandlerRegistry<H>;
  beforeEach(() => {
    routes = new HandlerRegistry('http.routes');
  });

  it('prefers exact over param over wildcard', () => {
    routes.handle('/users/*', () => 'wild');
    routes.handle('/users/:id', () => 'param');
    routes.handle('/users/me', () => 'exact');
    expect(routes.dispatch('/users/me', '')).to.equal('exact');
    expect(routes.dispatch('/users/42', '')).to.equal('param');
    expect(routes.dispatch('/users/42/posts', '')).to.equal('wild');
  });

  it('captures params and the wildcard rest', () => {
    routes.handle('/users/:id/posts/:post', () => '');
    routes.handle('/files/*', () => '');
    expect(routes.match('/users/7/posts/9')!.params).to.deep.equal({ id: '7', post: '9' });
    expect(routes.match('/files/a/b/c.txt')!.params).to.deep.equal({ '*': 'a/b/c.txt' });
    expect(routes.match('/files')).to.equal(undefined);
    expect(routes.match('/files/')!.params).to.deep.equal({ '*': '' });
  });

  it('decides precedence segment by segment', () => {
    routes.handle('/:a/b', () => 'param-first');
    routes.handle('/a/:b', () => 'literal-first');
    expect(routes.dispatch('/a/b', '')).to.equal('literal-first');
  });

  it('keeps registration order between patterns of equal precedence', () => {
    routes.handle('/:x/:y', () => 'first');
    routes.handle('/:p/:q', () => 'second');
    expect(routes.dispatch('/1/2', '')).to.equal('first');
  });

  it('does not let a param match an empty segment or a different length', () => {
    routes.handle('/users/:id', () => '');
    expect(routes.match('/users/')).to.equal(undefined);
    expect(routes.match('/users/1/2')).to.equal(undefined);
  });

  it('passes the arguments through dispatch and returns the result', () => {
    routes.handle('/echo', (body) => body.toUpperCase());
    expect(routes.dispatch('/echo', 'hi')).to.equal('HI');
  });

  it('throws E_UNKNOWN naming the key when nothing matches', () => {
    routes.handle('/a', () => '');
    expectError(() => routes.dispatch('/b', ''), PlugboardError, 'E_UNKNOWN', "http.routes: no handler matches '/b'", '/a');
  });

  it('rejects malformed patterns', () => {
    expectError(() => routes.handle('/a/*/b', () => ''), InvalidNameError, 'E_INVALID_NAME', "'*' is only allowed as the last segment");
    expectError(() => routes.handle('/a/:/b', () => ''), InvalidNameError, 'E_INVALID_NAME', 'not a valid parameter name');
    expectError(() => routes.handle('/:id/:id', () => ''), InvalidNameError, 'E_INVALID_NAME', 'appears twice');
    expect(routes.size).to.equal(0);
  });

  it('supports a custom separator for dotted event names', () => {
    const events = new HandlerRegistry<() => string>('events', { separator: '.' });
    events.handle('user.*', () => 'any user event');
    events.handle('user.created', () => 'created');
    expect(events.dispatch('user.created')).to.equal('created');
    expect(events.match('user.deleted.soft')!.params['*']).to.equal('deleted.soft');
  });

  it('sees new patterns after registration and forgets removed ones', () => {
    routes.handle('/:x', () => 'p');
    expect(routes.dispatch('/q', '')).to.equal('p');
    routes.handle('/*', () => 'w');
    routes.unregister('/:x');
    expect(routes.dispatch('/q', '')).to.equal('w');
  });
});
