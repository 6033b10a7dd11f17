// The pure parts of the palette commands (no `vscode` import: tested under Node).

/** The server's command ids (`workspace/executeCommand`). */
export const SERVER_COMMANDS = {
  download: 'gomod-doctor.download',
  downloadAll: 'gomod-doctor.downloadAll',
  redownload: 'gomod-doctor.redownload',
  clear: 'gomod-doctor.clear',
  clearAllVersions: 'gomod-doctor.clearAllVersions',
  clearCache: 'gomod-doctor.clearCache',
  prune: 'gomod-doctor.prune',
  verifyAll: 'gomod-doctor.verifyAll',
  recheck: 'gomod-doctor.recheck',
  compareProxies: 'gomod-doctor.compareProxies',
} as const;

/**
 * The extension's own command ids (Command Palette). They differ from the
 * server's: the language client registers those itself when the server
 * advertises them, and two registrations of one id fail.
 */
export const CLIENT_COMMANDS = {
  verifyAll: 'gomodDoctor.verifyAll',
  recheck: 'gomodDoctor.recheck',
  clearCache: 'gomodDoctor.clearCache',
  prune: 'gomodDoctor.prune',
  disableLocalReplaces: 'gomodDoctor.disableLocalReplaces',
  enableLocalReplaces: 'gomodDoctor.enableLocalReplaces',
  compareProxies: 'gomodDoctor.compareProxies',
  restartServer: 'gomodDoctor.restartServer',
  showOutput: 'gomodDoctor.showOutput',
} as const;

/** The titles of the server's source actions that the toggle commands run. */
export const SOURCE_ACTION_TITLES = {
  disable: 'Disable all local replaces',
  enable: 'Enable all local replaces',
} as const;

/** `module@version` split, or an error message for the input box. */
export function parseModuleVersion(
  input: string,
): { ok: true; module: string; version: string } | { ok: false; error: string } {
  const s = input.trim();
  const at = s.lastIndexOf('@');
  if (!s) return { ok: false, error: 'Enter module@version, e.g. golang.org/x/text@v0.14.0' };
  if (at <= 0 || at === s.length - 1) {
    return { ok: false, error: 'Want module@version, e.g. golang.org/x/text@v0.14.0' };
  }
  const module = s.slice(0, at);
  const version = s.slice(at + 1);
  if (/\s/.test(module) || /\s/.test(version)) {
    return { ok: false, error: 'A module path and a version have no spaces' };
  }
  if (!/^v\d/.test(version)) {
    return { ok: false, error: `"${version}" is not a version: want a semantic version like v1.2.3` };
  }
  return { ok: true, module, version };
}

/** A code action or a bare command, as `textDocument/codeAction` answers. */
export interface ActionLike {
  title: string;
  kind?: string | undefined;
  command?: unknown;
  edit?: unknown;
  disabled?: { reason: string } | undefined;
}

/** The source action titled `title` (kind `source` or below), enabled, if offered. */
export function findSourceAction<T extends ActionLike>(actions: readonly T[] | null | undefined, title: string): T | undefined {
  return (actions ?? []).find(
    (a) =>
      a.title === title &&
      (a.kind === undefined || a.kind === 'source' || a.kind.startsWith('source.')) &&
      a.disabled === undefined,
  );
}

/** The file is one the source actions apply to (go.mod, go.work). */
export function isModOrWork(fsPath: string): boolean {
  return /(^|[\\/])go\.(mod|work)$/.test(fsPath);
}

/** One line for a command's result (`{"ok": bool, "message"?: ...}`), or undefined. */
export function resultMessage(result: unknown): { ok: boolean; message?: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  const ok = r.ok !== false;
  for (const key of ['message', 'summary', 'detail']) {
    const v = r[key];
    if (typeof v === 'string' && v) return { ok, message: v };
  }
  return { ok };
}

/**
 * `module@version` for a line of go.mod naming one (require, exclude, or the
 * left side of a replace), to prefill "Compare proxies"; undefined otherwise.
 */
export function moduleVersionAtLine(line: string): string | undefined {
  const code = line.replace(/\/\/.*$/, '').trim();
  const m = /^(?:(?:require|exclude|replace)\s+)?(?:\(\s*)?("[^"]+"|[^\s"()=>]+)\s+(v[^\s=>()]+)/.exec(code);
  if (!m || !m[1] || !m[2]) return undefined;
  const mod = m[1].replace(/^"|"$/g, '');
  if (['module', 'go', 'toolchain', 'godebug', 'retract', 'tool', 'use'].includes(mod)) return undefined;
  return `${mod}@${m[2]}`;
}
