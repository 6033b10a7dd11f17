// Finding a Python (3.10 or newer, with venv and ensurepip) to create the
// extension's own server environment with, in this order:
//
//   1. the Python extension's active interpreter (through its API);
//   2. the setting `gomodDoctor.python`;
//   3. `python3`, then `python` on PATH; on Windows also the launcher, `py -3`.
//
// Each candidate is asked for its version by running it (`probe`), so a stub (the
// Windows Store's python.exe), a Python 2 or a Python without venv is passed over
// with the reason. Like serverPath.ts, this module has no `vscode` import: all it
// needs from outside comes in through `DiscoverInput`.

import * as path from 'node:path';
import { expandSettingPath, pathCandidates } from './serverPath';

export const MIN_PYTHON = [3, 10] as const;

export type PythonSource = 'python-extension' | 'setting' | 'path' | 'py-launcher';

/** A way to run a Python: `command` with `args` before the script's own. */
export interface PythonCommand {
  command: string;
  args: string[];
  source: PythonSource;
}

/** What a candidate says about itself (see PROBE_SCRIPT). */
export interface ProbeInfo {
  version: [number, number, number];
  /** sys.executable: the interpreter the venv is made from. */
  executable: string;
  /** `venv` and `ensurepip` import (Debian and Ubuntu split them off into python3-venv). */
  venv: boolean;
}

export interface FoundPython extends PythonCommand, ProbeInfo {}

/** Printed by each candidate: one line of JSON. */
export const PROBE_SCRIPT =
  'import json, sys\n' +
  'try:\n' +
  '    import ensurepip, venv\n' +
  '    ok = True\n' +
  'except ImportError:\n' +
  '    ok = False\n' +
  'print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable, "venv": ok}))\n';

export interface DiscoverInput {
  /** The Python extension's active interpreter; undefined without the extension. */
  pythonExtension?: (() => Promise<string | undefined>) | undefined;
  /** `gomodDoctor.python` ('' or undefined: unset). */
  setting?: string | undefined;
  homeDir: string;
  workspaceFolders?: readonly string[] | undefined;
  /** In an untrusted workspace no interpreter inside it is run. */
  trusted: boolean;
  pathEnv?: string | undefined;
  pathExt?: string | undefined;
  platform: NodeJS.Platform;
  isExecutable: (file: string) => Promise<boolean>;
  /** Runs PROBE_SCRIPT with the candidate: its output, or why it failed. */
  probe: (cmd: PythonCommand) => Promise<{ ok: true; stdout: string } | { ok: false; error: string }>;
}

export type Discovery =
  | { ok: true; python: FoundPython; tried: string[] }
  | {
      ok: false;
      /** Each candidate looked at, with why it was not used. */
      tried: string[];
    };

/** The interpreter of a Python environment the Python extension reports (its executable, else its prefix's). */
export function interpreterOf(
  env: { executable?: string | undefined; prefix?: string | undefined } | undefined,
  platform: NodeJS.Platform,
): string | undefined {
  if (env?.executable) return env.executable;
  if (!env?.prefix) return undefined;
  return platform === 'win32' ? path.win32.join(env.prefix, 'python.exe') : path.posix.join(env.prefix, 'bin', 'python');
}

/** The probe's JSON, or why it is not a usable answer. */
export function parseProbe(stdout: string): ProbeInfo | string {
  const line = stdout.trim().split(/\r?\n/).pop() ?? '';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return `not Python 3 (it printed ${JSON.stringify(line.slice(0, 80))})`;
  }
  if (typeof v !== 'object' || v === null) return 'an unexpected answer';
  const o = v as Record<string, unknown>;
  const ver = o.version;
  if (!Array.isArray(ver) || ver.length !== 3 || !ver.every((n) => Number.isInteger(n))) {
    return 'an unexpected answer (no version)';
  }
  if (typeof o.executable !== 'string' || !o.executable) return 'no sys.executable';
  return { version: [ver[0], ver[1], ver[2]] as [number, number, number], executable: o.executable, venv: o.venv === true };
}

export function versionText(v: readonly number[]): string {
  return v.join('.');
}

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function describe(cmd: PythonCommand): string {
  const what = [cmd.command, ...cmd.args].join(' ');
  switch (cmd.source) {
    case 'python-extension':
      return `${what} (the Python extension's interpreter)`;
    case 'setting':
      return `${what} (gomodDoctor.python)`;
    default:
      return what;
  }
}

function isInside(file: string, dir: string, platform: NodeJS.Platform): boolean {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const rel = p.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** The Python to create the server's environment with, or every candidate and why not. */
export async function discoverPython(input: DiscoverInput): Promise<Discovery> {
  const { platform } = input;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const tried: string[] = [];
  const seen = new Set<string>();
  const folders = input.workspaceFolders ?? [];

  const attempt = async (cmd: PythonCommand): Promise<FoundPython | undefined> => {
    const key = [cmd.command, ...cmd.args].join('\0');
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (!input.trusted && p.isAbsolute(cmd.command) && folders.some((ws) => isInside(cmd.command, ws, platform))) {
      tried.push(`${describe(cmd)}: inside the untrusted workspace, not run`);
      return undefined;
    }
    const r = await input.probe(cmd);
    if (!r.ok) {
      tried.push(`${describe(cmd)}: ${r.error}`);
      return undefined;
    }
    const info = parseProbe(r.stdout);
    if (typeof info === 'string') {
      tried.push(`${describe(cmd)}: ${info}`);
      return undefined;
    }
    if (!atLeast(info.version, MIN_PYTHON)) {
      tried.push(`${describe(cmd)}: Python ${versionText(info.version)}, older than ${versionText(MIN_PYTHON)}`);
      return undefined;
    }
    if (!info.venv) {
      tried.push(
        `${describe(cmd)}: Python ${versionText(info.version)} without venv/ensurepip ` +
          '(on Debian and Ubuntu: apt install python3-venv)',
      );
      return undefined;
    }
    tried.push(`${describe(cmd)}: Python ${versionText(info.version)}`);
    return { ...cmd, ...info };
  };

  /** The first executable file among `candidates`, as a command. */
  const firstFile = async (candidates: string[]): Promise<string | undefined> => {
    for (const c of candidates) if (await input.isExecutable(c)) return c;
    return undefined;
  };

  // 1. the Python extension's active interpreter
  if (input.pythonExtension) {
    let exe: string | undefined;
    try {
      exe = await input.pythonExtension();
      if (!exe) tried.push('the Python extension: no active interpreter');
    } catch (e) {
      tried.push(`the Python extension: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (exe) {
      const found = await attempt({ command: exe, args: [], source: 'python-extension' });
      if (found) return { ok: true, python: found, tried };
    }
  }

  // 2. the setting
  const setting = (input.setting ?? '').trim();
  if (setting) {
    const expanded = expandSettingPath(setting, input.homeDir, folders[0], platform);
    let file: string | undefined;
    if (p.isAbsolute(expanded)) file = expanded;
    else if (platform === 'win32' ? /[\\/]/.test(expanded) : expanded.includes('/')) {
      file = folders[0] === undefined ? undefined : p.resolve(folders[0], expanded);
    } else file = await firstFile(pathCandidates(expanded, input.pathEnv, platform, input.pathExt));
    if (file === undefined) tried.push(`gomodDoctor.python "${setting}": not found`);
    else {
      const found = await attempt({ command: file, args: [], source: 'setting' });
      if (found) return { ok: true, python: found, tried };
    }
  }

  // 3. PATH (and the py launcher on Windows)
  for (const name of ['python3', 'python']) {
    const file = await firstFile(pathCandidates(name, input.pathEnv, platform, input.pathExt));
    if (file === undefined) {
      tried.push(`${name}: not on PATH`);
      continue;
    }
    const found = await attempt({ command: file, args: [], source: 'path' });
    if (found) return { ok: true, python: found, tried };
  }
  if (platform === 'win32') {
    const file = await firstFile(pathCandidates('py', input.pathEnv, platform, input.pathExt));
    if (file === undefined) tried.push('py -3: the py launcher is not on PATH');
    else {
      const found = await attempt({ command: file, args: ['-3'], source: 'py-launcher' });
      if (found) return { ok: true, python: found, tried };
    }
  }
  return { ok: false, tried };
}

/** The one message shown when no usable Python is found. */
export function noPythonMessage(): string {
  return (
    `gomod-doctor needs Python ${versionText(MIN_PYTHON)} or newer (with its venv module) to install its ` +
    'language server, and found none: not the Python extension\'s interpreter, not gomodDoctor.python, ' +
    'not python3 or python on PATH. Install Python, or set gomodDoctor.python, then run ' +
    '"gomod-doctor: Restart server".'
  );
}
