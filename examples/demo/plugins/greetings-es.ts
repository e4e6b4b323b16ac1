/** A demo plugin: adds Spanish to the host's `greetings` registry. Loaded from this directory by the demo. */
import type { ImplementationRegistry } from '../../../src/container/index.js';
import { definePlugin } from '../../../src/plugins/index.js';

export default definePlugin({
  meta: { name: 'greetings-es', version: '1.0.0', api: '^1' },
  setup(ctx) {
    ctx.registry<ImplementationRegistry<(name: string) => string>>('greetings').register('es', (name) => `¡Hola, ${name}!`);
  },
  ping: () => true,
});
