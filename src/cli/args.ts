/** What the command line asked for. */
export interface CliArgs {
  command: string | undefined;
  positional: string[];
  json: boolean;
  timeoutMs: number;
  help: boolean;
  version: boolean;
}

/** A usage error: exit code 1. */
export class UsageError extends Error {}

/** Parses `plugboard <command> [args] [--json] [--timeout 5s]`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { command: undefined, positional: [], json: false, timeoutMs: 5000, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') out.json = true;
    else if (a === '-h' || a === '--help') out.help = true;
    else if (a === '-v' || a === '--version') out.version = true;
    else if (a === '--timeout' || a.startsWith('--timeout=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v ?? '');
      if (m === null) throw new UsageError(`--timeout: '${v ?? ''}' is not a duration (e.g. 5s, 500ms)`);
      out.timeoutMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else if (out.command === undefined) out.command = a;
    else out.positional.push(a);
  }
  return out;
}

export const USAGE = `plugboard: inspect registries and service discovery

usage:
  plugboard ls <registry-url>                 services and instance counts
  plugboard watch <registry-url> <service>    stream changes until Ctrl-C
  plugboard inspect <url>                     a running app's /debug/registry, readably

registry URLs: memory://, etcd://h:2379/microservices, zookeeper://h:2181/microservices, consul://h:8500
options:
  --json           machine-readable output (one JSON document; JSON lines for watch)
  --timeout <d>    how long to wait for a backend or an app (default 5s)
  -h, --help       this help
exit codes: 0 ok, 1 usage, 2 backend or app unreachable`;
