/**
 * Plugins (`plugboard/plugins`): a manifest, discovery (explicit list, `package.json` globs,
 * directories, naming conventions), loading in dependency order with timeouts, isolation of
 * failures, a lifecycle, and hot reload. See docs/plugins.md.
 * @module
 */
export { PluginHost, type PluginHostOptions, type PluginInput, type PluginMetrics } from './host.js';
export { definePlugin, validatePlugin, PLUGIN_API_VERSION, type Plugin, type PluginMeta, type PluginContext, type PingResult } from './manifest.js';
export { findPlugins, CONVENTION_GLOBS, type FindPluginsOptions, type FoundPlugin, type PluginOrigin } from './find.js';
export { PluginError, type PluginCode } from './errors.js';
export { formatReport, type BootReport, type PluginRecord, type PluginState, type PluginOperation } from './report.js';
