// Finding the gomod-doctor executable, in this order (as ruff-vscode finds ruff):
//
//   1. the setting `gomodDoctor.server.path`;
//   2. `gomod-doctor` in the active Python environment (Python extension);
//   3. `PATH`;
//   4. the environment the extension installed itself (managed.ts), if any.
//
// Everything the search needs from outside (the file system, the Python
// extension, the environment) comes in through `ResolveInput`, so this module has
// no `vscode` import and is tested under plain Node.

import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export const SERVER_NAME = 'gomod-doctor';
export const SERVER_ARGS = ['serve'];
export const INSTALL_COMMANDS = ['pipx install gomod-doctor', 'pip install gomod-doctor'];

export type ServerSource = 'setting' | 'python' | 'path' | 'managed';

/** Where the active Python environment lives (either may be unknown). */
export interface PythonEnvironment {
  /** The interpreter, e.g. `/proj/.venv/bin/python` or `C:\env\python.exe`. */
  executable?: string | undefined;
  /** The environment's prefix (sys.prefix), e.g. `/proj/.venv`. */
  prefix?: string | undefined;
}

export interface ResolveInput {
  /** `gomodDoctor.server.path` ('' or undefined: unset). */
  settingPath?: string | undefined;
  /** The workspace folders' paths; a relative setting path starts at the first. */
  workspaceFolders?: readonly string[] | undefined;
  /** The user's home directory, for `~` and `${userHome}`. */
  homeDir: string;
  /** The workspace is trusted: else no path inside the workspace is run. */
  trusted: boolean;
  /** The active Python environment; undefined without the Python extension. Asked only when needed. */
  pythonEnvironment?: (() => Promise<PythonEnvironment | undefined>) | undefined;
  /** `process.env.PATH`. */
  pathEnv?: string | undefined;
  /** `process.env.PATHEXT` (Windows). */
  pathExt?: string | undefined;
  platform: NodeJS.Platform;
  /** The file exists, is a regular file, and may be run. */
  isExecutable: (file: string) => Promise<boolean>;
  /** The server the extension installed (installed.json written, the file there), if any. */
  managedServer?: (() => Promise<string | undefined>) | undefined;
}

export type Resolution =
  | {
      ok: true;
      path: string;
      source: ServerSource;
      /** What did not work before it (for the log, and a warning for a bad setting). */
      notes: string[];
    }
  | {
      ok: false;
      /** The message to show (one paragraph, with the install command). */
      message: string;
      /** Every place looked at, for the log. */
      tried: string[];
      notes: string[];
    };

/** `file` exists, is a regular file (or a link to one), and may be run by this user. */
export async function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    if (platform !== 'win32') await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

function exeNames(name: string, platform: NodeJS.Platform, pathExt: string | undefined): string[] {
  if (platform !== 'win32') return [name];
  const lower = name.toLowerCase();
  const exts = (pathExt || '.COM;.EXE;.BAT;.CMD')
    .split(';')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e.startsWith('.'));
  if (exts.some((e) => lower.endsWith(e))) return [name];
  // pip and pipx install console scripts as .exe: look for that first
  const ordered = ['.exe', ...exts.filter((e) => e !== '.exe')];
  return ordered.map((e) => name + e);
}

/** `~`, `~/x`, `${userHome}` and `${workspaceFolder}` expanded. */
export function expandSettingPath(
  value: string,
  homeDir: string,
  workspaceFolder: string | undefined,
  platform: NodeJS.Platform,
): string {
  const p = pathApi(platform);
  let v = value.trim();
  v = v.replace(/\$\{userHome\}/g, homeDir);
  if (workspaceFolder !== undefined) v = v.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  if (v === '~') return homeDir;
  if (v.startsWith('~/') || (platform === 'win32' && v.startsWith('~\\'))) {
    return p.join(homeDir, v.slice(2));
  }
  return v;
}

/** Where `gomod-doctor` would be in a Python environment (scripts dir: bin/ or Scripts\). */
export function pythonCandidates(
  env: PythonEnvironment,
  platform: NodeJS.Platform,
  pathExt?: string,
): string[] {
  const p = pathApi(platform);
  const dirs: string[] = [];
  if (env.executable) {
    const dir = p.dirname(env.executable);
    dirs.push(dir);
    if (platform === 'win32') dirs.push(p.join(dir, 'Scripts')); // a base install: python.exe at the top
  }
  if (env.prefix) dirs.push(p.join(env.prefix, platform === 'win32' ? 'Scripts' : 'bin'));
  const names = exeNames(SERVER_NAME, platform, pathExt);
  const out: string[] = [];
  for (const d of dirs) {
    for (const n of names) {
      const c = p.join(d, n);
      if (!out.includes(c)) out.push(c);
    }
  }
  return out;
}

/** Where `name` would be on PATH (relative PATH entries are skipped: they depend on the cwd). */
export function pathCandidates(
  name: string,
  pathEnv: string | undefined,
  platform: NodeJS.Platform,
  pathExt?: string,
): string[] {
  const p = pathApi(platform);
  const delimiter = platform === 'win32' ? ';' : ':';
  const out: string[] = [];
  for (let dir of (pathEnv ?? '').split(delimiter)) {
    dir = dir.trim();
    if (platform === 'win32') dir = dir.replace(/^"(.*)"$/, '$1');
    if (!dir || !p.isAbsolute(dir)) continue;
    for (const n of exeNames(name, platform, pathExt)) {
      const c = p.join(dir, n);
      if (!out.includes(c)) out.push(c);
    }
  }
  return out;
}

function isInside(file: string, dir: string, platform: NodeJS.Platform): boolean {
  const p = pathApi(platform);
  const rel = p.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** The message shown when no server is found. */
export function notFoundMessage(notes: string[] = []): string {
  const [pipx, pip] = INSTALL_COMMANDS;
  const why = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return (
    `gomod-doctor: the language server was not found${why}. ` +
    `Install it with \`${pipx}\` (or \`${pip}\` in your Python environment), ` +
    `then run "gomod-doctor: Restart server"; or set gomodDoctor.server.path to the executable.`
  );
}

/** The gomod-doctor executable to run, or why there is none. */
export async function resolveServer(input: ResolveInput): Promise<Resolution> {
  const { platform } = input;
  const p = pathApi(platform);
  const folders = input.workspaceFolders ?? [];
  const tried: string[] = [];
  const notes: string[] = [];

  // In an untrusted workspace nothing inside it is run (a checked-in .venv, a
  // ${workspaceFolder}/... path): that would be running the workspace's code.
  const firstExecutable = async (candidates: string[], what: string): Promise<string | undefined> => {
    let skipped = false;
    for (const c of candidates) {
      if (!input.trusted && folders.some((ws) => isInside(c, ws, platform))) {
        skipped = true;
        continue;
      }
      tried.push(c);
      if (await input.isExecutable(c)) return c;
    }
    if (skipped) notes.push(`${what} is inside the untrusted workspace: not run`);
    return undefined;
  };

  // 1. the setting
  const setting = (input.settingPath ?? '').trim();
  if (setting) {
    const what = `gomodDoctor.server.path "${setting}"`;
    const expanded = expandSettingPath(setting, input.homeDir, folders[0], platform);
    let candidates: string[];
    if (p.isAbsolute(expanded)) {
      candidates = exeNames(expanded, platform, input.pathExt);
    } else if (platform === 'win32' ? /[\\/]/.test(expanded) : expanded.includes('/')) {
      // a relative path: from the (first) workspace folder
      const ws = folders[0];
      candidates = ws === undefined ? [] : exeNames(p.resolve(ws, expanded), platform, input.pathExt);
      if (ws === undefined) notes.push(`${what} is relative and there is no workspace folder`);
    } else {
      // a bare command name: look it up on PATH
      candidates = pathCandidates(expanded, input.pathEnv, platform, input.pathExt);
    }
    const before = notes.length;
    const found = await firstExecutable(candidates, what);
    if (found) return { ok: true, path: found, source: 'setting', notes };
    if (candidates.length > 0 && notes.length === before) notes.push(`${what} is not an executable file`);
  }

  // 2. the active Python environment
  if (input.pythonEnvironment) {
    let env: PythonEnvironment | undefined;
    try {
      env = await input.pythonEnvironment();
    } catch (e) {
      notes.push(`the Python extension gave no environment: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (env) {
      const found = await firstExecutable(
        pythonCandidates(env, platform, input.pathExt),
        'the active Python environment',
      );
      if (found) return { ok: true, path: found, source: 'python', notes };
    }
  }

  // 3. PATH
  const found = await firstExecutable(
    pathCandidates(SERVER_NAME, input.pathEnv, platform, input.pathExt),
    `${SERVER_NAME} on PATH`,
  );
  if (found) return { ok: true, path: found, source: 'path', notes };

  // 4. the extension's own environment
  if (input.managedServer) {
    const managed = await input.managedServer();
    if (managed) return { ok: true, path: managed, source: 'managed', notes };
  }

  return { ok: false, message: notFoundMessage(notes), tried, notes };
}
