/**
 * plugboard with tsyringe 4: the same wiring as the inversify example.
 */
import 'reflect-metadata';
import { IsString } from 'class-validator';
import { container as root, inject, injectable } from 'tsyringe';
import { FactoryRegistry, Scope, TOKENS } from '../../src/container/index.js';
import { registerPlugboard, tsyringeResolver } from '../../src/container/di/tsyringe.js';
import { RegisterFactory } from '../../src/decorators/index.js';
import { createRegistry, type Discovery } from '../../src/discovery/index.js';

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
  constructor(@inject(TOKENS.Discovery) private readonly discovery: Discovery) {}
  async peers(): Promise<number> {
    return (await this.discovery.getService('greeter')).length;
  }
}

const discovery = await createRegistry('memory://tsyringe-example');
const container = registerPlugboard(root.createChildContainer(), scope, { discovery });
container.registerSingleton(Logger);
scope.attach(tsyringeResolver(container));

const s3 = await scope.registry('factories', FactoryRegistry<S3Storage>).new('s3', { bucket: 'photos' });
console.log(`storage bucket: ${s3.cfg.bucket}`);
await discovery.register({ id: 'g1', name: 'greeter', endpoints: ['http://127.0.0.1:8000'] });
console.log(`greeter peers: ${await container.resolve(Greeter).peers()}`);
await discovery.close();
