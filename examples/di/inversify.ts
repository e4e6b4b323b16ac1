/**
 * plugboard with inversify 8: the container wires services, plugboard holds the plugin-style
 * leaves (storage drivers), and a driver gets both its validated config and an injected logger.
 */
import 'reflect-metadata';
import { IsString } from 'class-validator';
import { Container, inject, injectable } from 'inversify';
import { FactoryRegistry, Scope, TOKENS } from '../../src/container/index.js';
import { inversifyResolver, plugboardModule } from '../../src/container/di/inversify.js';
import { RegisterFactory } from '../../src/decorators/index.js';
import { createRegistry, type Discovery } from '../../src/discovery/index.js';

@injectable()
class Logger {
  info(msg: string): void {
    console.log(`[log] ${msg}`);
  }
}

class S3Config {
  @IsString() bucket = 'default';
}

const scope = new Scope('app');

@RegisterFactory('s3', { config: S3Config, scope })
@injectable()
class S3Storage {
  constructor(
    @inject(TOKENS.Config) readonly cfg: S3Config,
    @inject(Logger) private readonly log: Logger,
  ) {
    this.log.info(`s3 storage for bucket ${cfg.bucket}`);
  }
}

@injectable()
class Greeter {
  // A service: its dependencies come through the constructor, including Discovery by token.
  constructor(@inject(TOKENS.Discovery) private readonly discovery: Discovery) {}
  async peers(): Promise<number> {
    return (await this.discovery.getService('greeter')).length;
  }
}

const discovery = await createRegistry('memory://inversify-example');
const container = new Container();
container.bind(Logger).toSelf().inSingletonScope();
container.bind(Greeter).toSelf();
container.load(plugboardModule(scope, { discovery }));
scope.attach(inversifyResolver(container));

const s3 = await scope.registry('factories', FactoryRegistry<S3Storage>).new('s3', { bucket: 'photos' });
console.log(`storage bucket: ${s3.cfg.bucket}`);
await discovery.register({ id: 'g1', name: 'greeter', endpoints: ['http://127.0.0.1:8000'] });
console.log(`greeter peers: ${await container.get(Greeter).peers()}`);
await discovery.close();
