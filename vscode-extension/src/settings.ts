// The server's settings (section `gomodDoctor`), built from VS Code's flat settings.
//
// VS Code stores `gomodDoctor.watch.debounceMs`, `gomodDoctor.diagnostics.severity`
// and so on as dotted keys; the server wants its nested JSON:
//
//   { verify, diagnostics: { severity: { <code>: level } }, goBinary, env,
//     watch: { debounceMs }, localReplaceSearchPaths, network, trusted }
//
// The extension's own settings (`server.path`, `server.autoInstall`, `python`,
// `trace.server`) are not sent: the server would report them as unknown. This
// module has no `vscode` import, so it runs under plain Node in the unit tests.

export const SECTION = 'gomodDoctor';

export type Verify = 'quick' | 'full' | 'off';
export type Network = 'auto' | 'off';
export type Severity = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface ServerSettings {
  verify: Verify;
  diagnostics: { severity: Record<string, Severity> };
  goBinary: string | null;
  env: Record<string, string>;
  watch: { debounceMs: number };
  localReplaceSearchPaths: string[];
  network: Network;
  trusted: boolean;
}

/** The VS Code settings (under `gomodDoctor.`) that map to the server's settings. */
export const SERVER_SETTING_KEYS = [
  'verify',
  'diagnostics.severity',
  'goBinary',
  'env',
  'watch.debounceMs',
  'localReplaceSearchPaths',
  'network',
] as const;
export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];

/** The extension's own settings (under `gomodDoctor.`), never sent to the server. */
export const CLIENT_SETTING_KEYS = ['server.path', 'server.autoInstall', 'python', 'trace.server'] as const;

export const DEFAULT_DEBOUNCE_MS = 200;
export const MAX_DEBOUNCE_MS = 10_000;

const VERIFY: readonly Verify[] = ['quick', 'full', 'off'];
const NETWORK: readonly Network[] = ['auto', 'off'];
const SEVERITY: readonly Severity[] = ['error', 'warning', 'information', 'hint', 'off'];

/** The server's settings when nothing is set. */
export function defaultSettings(trusted: boolean): ServerSettings {
  return {
    verify: 'full',
    diagnostics: { severity: {} },
    goBinary: null,
    env: {},
    watch: { debounceMs: DEFAULT_DEBOUNCE_MS },
    localReplaceSearchPaths: [],
    network: 'auto',
    trusted,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * The server's settings from the flat VS Code settings.
 *
 * `get(key)` returns the value of `gomodDoctor.<key>` (undefined when unset); a
 * value of the wrong type is replaced by the default and described in `problems`.
 * `trusted` is the workspace's trust (`vscode.workspace.isTrusted`): false makes
 * the server run no go command and touch neither the network nor the cache.
 */
export function toServerSettings(
  get: (key: ServerSettingKey) => unknown,
  trusted: boolean,
  problems: string[] = [],
): ServerSettings {
  const out = defaultSettings(trusted);
  const bad = (key: string, want: string, got: unknown): void => {
    problems.push(`${SECTION}.${key}: want ${want}, got ${kind(got)}; using the default`);
  };

  const verify = get('verify');
  if (verify !== undefined && verify !== null) {
    if (VERIFY.includes(verify as Verify)) out.verify = verify as Verify;
    else bad('verify', 'one of quick, full, off', verify);
  }

  const severity = get('diagnostics.severity');
  if (severity !== undefined && severity !== null) {
    if (!isRecord(severity)) {
      bad('diagnostics.severity', 'an object of code: level', severity);
    } else {
      for (const [code, level] of Object.entries(severity)) {
        let l = typeof level === 'string' ? level.trim().toLowerCase() : level;
        l = l === 'info' ? 'information' : l === 'warn' ? 'warning' : l; // the server's aliases
        if (SEVERITY.includes(l as Severity)) out.diagnostics.severity[code] = l as Severity;
        else bad(`diagnostics.severity.${code}`, SEVERITY.join(', '), level);
      }
    }
  }

  const goBinary = get('goBinary');
  if (goBinary !== undefined && goBinary !== null) {
    if (typeof goBinary === 'string') out.goBinary = goBinary.trim() || null;
    else bad('goBinary', 'a string', goBinary);
  }

  const env = get('env');
  if (env !== undefined && env !== null) {
    if (!isRecord(env)) {
      bad('env', 'an object of NAME: value', env);
    } else {
      for (const [name, value] of Object.entries(env)) {
        if (typeof value === 'string') out.env[name] = value;
        else if (typeof value === 'number' || typeof value === 'boolean') out.env[name] = String(value);
        else bad(`env.${name}`, 'a string', value);
      }
    }
  }

  const debounce = get('watch.debounceMs');
  if (debounce !== undefined && debounce !== null) {
    if (typeof debounce === 'number' && Number.isFinite(debounce)) {
      out.watch.debounceMs = Math.round(Math.min(Math.max(debounce, 0), MAX_DEBOUNCE_MS));
    } else {
      bad('watch.debounceMs', 'a number of milliseconds', debounce);
    }
  }

  const paths = get('localReplaceSearchPaths');
  if (paths !== undefined && paths !== null) {
    if (typeof paths === 'string') {
      out.localReplaceSearchPaths = paths ? [paths] : [];
    } else if (Array.isArray(paths)) {
      const good = paths.filter((p): p is string => typeof p === 'string' && p !== '');
      if (good.length !== paths.length) {
        problems.push(`${SECTION}.localReplaceSearchPaths: entries that are not paths are ignored`);
      }
      out.localReplaceSearchPaths = good;
    } else {
      bad('localReplaceSearchPaths', 'a list of paths', paths);
    }
  }

  const network = get('network');
  if (network !== undefined && network !== null) {
    if (NETWORK.includes(network as Network)) out.network = network as Network;
    else bad('network', 'auto or off', network);
  }

  return out;
}

/**
 * The answer to one `workspace/configuration` item: the server's settings when the
 * item asks for the section (or a key inside it), else undefined (someone else's).
 */
export function configurationAnswer(
  section: string | undefined,
  settings: ServerSettings,
): { handled: true; value: unknown } | { handled: false } {
  if (section === SECTION) return { handled: true, value: settings };
  if (section !== undefined && section.startsWith(`${SECTION}.`)) {
    let value: unknown = settings;
    for (const part of section.slice(SECTION.length + 1).split('.')) {
      value = isRecord(value) ? value[part] : undefined;
    }
    return { handled: true, value: value ?? null };
  }
  return { handled: false };
}
