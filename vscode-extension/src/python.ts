// The active Python environment, from the Python extension's API (ms-python.python).
// Only the few members used here are typed: the extension is not a dependency.

import * as vscode from 'vscode';
import type { PythonEnvironment } from './serverPath';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri | undefined; sysPrefix?: string | undefined } | undefined;
  environment?: { folderUri?: vscode.Uri | undefined } | undefined;
}

/** The parts of the Python extension's API this extension uses. */
export interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath | undefined;
    resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  /** Older versions of the extension. */
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] | undefined } | undefined;
  };
}

/** The Python extension is installed (it need not be active yet). */
export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/**
 * The active Python environment for `resource` (default: the first workspace
 * folder), or undefined when the Python extension is missing or knows none.
 */
export async function activePythonEnvironment(resource?: vscode.Uri): Promise<PythonEnvironment | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  const api = ext.isActive ? ext.exports : await ext.activate();
  const scope = resource ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const envs = api?.environments;
  if (envs) {
    const active = envs.getActiveEnvironmentPath(scope);
    if (!active) return undefined;
    const resolved = await envs.resolveEnvironment(active);
    const executable = resolved?.executable?.uri?.fsPath;
    const prefix = resolved?.executable?.sysPrefix || resolved?.environment?.folderUri?.fsPath;
    if (executable || prefix) return { executable, prefix };
    // not resolved: the path is the interpreter (or the environment's folder)
    return active.path ? { executable: active.path } : undefined;
  }
  const cmd = api?.settings?.getExecutionDetails?.(scope)?.execCommand;
  if (cmd && cmd.length === 1 && cmd[0]) return { executable: cmd[0] };
  return undefined;
}
