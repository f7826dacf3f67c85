/** The route table's rules (src/lambda/api/routes.ts): methods per path, 405 vs 404, the path probably meant. */
import { expect } from 'chai';
import { catalog } from '../../src/lambda/catalog.ts';
import { closest, methodsOf, unroutedAnswer } from '../../src/lambda/api/routes.ts';
import { authorizationServerMetadata } from '../../src/lambda/identity/oauth/metadata.ts';

const QUERIES = [...catalog().keys()];

describe('routes', () => {
  const methods: [string, readonly string[] | undefined][] = [
    ['/count_orders_by_range', ['GET', 'HEAD']],
    ['/whoami', ['GET', 'HEAD']],
    ['/docs/swagger-ui.css', ['GET', 'HEAD']],
    ['/docs/a/b', undefined],
    ['/oauth/token', ['POST']],
    ['/.well-known/oauth-authorization-server', ['GET', 'HEAD']],
    ['/nope', undefined],
  ];
  for (const [path, expected] of methods) {
    it(`${path} answers ${expected?.join(', ') ?? 'nothing (no route)'}`, () => expect(methodsOf(path, QUERIES)).to.deep.equal(expected));
  }

  it('a known path asked with another method is 405 with the methods it answers', () => {
    expect(unroutedAnswer('/count_orders_by_range', 'post', QUERIES)).to.deep.equal({ status: 405, allow: 'GET, HEAD', path: '/count_orders_by_range' });
  });
  it('an unknown path is 404, with the path probably meant when one is near', () => {
    expect(unroutedAnswer('/count_orders_by_rang', 'GET', QUERIES)).to.deep.equal({ status: 404, path: '/count_orders_by_rang', meant: '/count_orders_by_range' });
    expect(unroutedAnswer('/totally_else', 'GET', QUERIES)).to.deep.equal({ status: 404, path: '/totally_else' });
  });

  const meant: [string, string | undefined][] = [
    ['COUNT_ORDERS_BY_RANGE', 'count_orders_by_range'],
    ['count_order_by_range', 'count_orders_by_range'],
    ['most_required_servise_by_range', 'most_required_service_by_range'],
    ['whoam', 'whoami'],
    ['count_trackcodes_by_range', 'count_trackcode_by_range'],
    ['x', undefined],
    ['', undefined],
    ['count_by_range', undefined],
  ];
  for (const [typed, expected] of meant) {
    it(`${JSON.stringify(typed)} → ${expected ?? 'no suggestion'}`, () => expect(closest(typed, [...QUERIES, 'whoami', 'docs'])).to.equal(expected));
  }

  it('two names equally near give no suggestion rather than a guess', () => expect(closest('ab', ['aa', 'bb'])).to.equal(undefined));

  it('the OAuth metadata names the token endpoint, the keys and every scope under the base URL', () => {
    const m = authorizationServerMetadata('https://api.example.com/prod', QUERIES);
    expect(m).to.include({ issuer: 'https://api.example.com/prod', token_endpoint: 'https://api.example.com/prod/oauth/token', jwks_uri: 'https://api.example.com/prod/.well-known/jwks.json' });
    expect(m.scopes_supported).to.deep.equal([...QUERIES, 'whoami'].sort());
  });
});
