/** A client of the greeter service. inversify builds it and injects `Discovery` by token. */
import { inject, injectable } from 'inversify';
import { TOKENS } from '../../src/container/index.js';
import { createDiscoveryFetch, type Discovery, type DiscoveryFetch } from '../../src/discovery/index.js';

@injectable()
export class GreeterClient {
  readonly #fetch: DiscoveryFetch;
  constructor(@inject(TOKENS.Discovery) readonly discovery: Discovery) {
    this.#fetch = createDiscoveryFetch({ discovery, balancer: 'round-robin' });
  }

  /** Calls `discovery:///greeter/hello`: the balancer picks the instance. */
  async hello(name: string, lang = 'en'): Promise<{ from: string; text: string }> {
    const res = await this.#fetch(`discovery:///greeter/hello?name=${encodeURIComponent(name)}&lang=${lang}`);
    return (await res.json()) as { from: string; text: string };
  }

  close(): Promise<void> {
    return this.#fetch.close();
  }
}
