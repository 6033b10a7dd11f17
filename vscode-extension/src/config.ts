// Reading VS Code's settings into the server's settings (the mapping itself is in
// settings.ts, pure).

import * as vscode from 'vscode';
import { SECTION, toServerSettings, type ServerSettings } from './settings';

/** The server's settings for `scope` (default: the window), with the workspace's trust. */
export function readServerSettings(scope?: vscode.Uri, problems?: string[]): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope ?? null);
  return toServerSettings((key) => config.get(key), vscode.workspace.isTrusted, problems);
}

/** `gomodDoctor.server.path` ('' when unset). */
export function readServerPathSetting(): string {
  const v = vscode.workspace.getConfiguration(SECTION).get<unknown>('server.path');
  return typeof v === 'string' ? v : '';
}

/** `gomodDoctor.python` ('' when unset). */
export function readPythonSetting(): string {
  const v = vscode.workspace.getConfiguration(SECTION).get<unknown>('python');
  return typeof v === 'string' ? v : '';
}

/** `gomodDoctor.server.autoInstall` (false when unset or not a boolean). */
export function readAutoInstallSetting(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<unknown>('server.autoInstall') === true;
}
