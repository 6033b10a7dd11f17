// python.ts and config.ts against a mocked `vscode` module, and the whole server
// search (setting -> Python environment -> PATH) on a real temp file system.

import './vscodeMock'; // first: puts the mock where require('vscode') finds it

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readServerPathSetting, readServerSettings } from '../src/config';
import { PYTHON_EXTENSION_ID, activePythonEnvironment, hasPythonExtension } from '../src/python';
import { isExecutableFile, resolveServer } from '../src/serverPath';
import { Uri, installExtension, reset, state } from './vscodeMock';

/** The Python extension's `environments` API, knowing one environment. */
function environmentsApi(executable: string | undefined, sysPrefix?: string) {
  const calls: string[] = [];
  return {
    calls,
    api: {
      environments: {
        getActiveEnvironmentPath(resource?: Uri) {
          calls.push(`active ${resource?.fsPath ?? '-'}`);
          return { id: 'env-1', path: executable ?? sysPrefix ?? '' };
        },
        async resolveEnvironment(env: { id: string; path: string } | string) {
          calls.push(`resolve ${typeof env === 'string' ? env : env.id}`);
          return {
            executable: { uri: executable ? Uri.file(executable) : undefined, sysPrefix },
            environment: sysPrefix ? { folderUri: Uri.file(sysPrefix) } : undefined,
          };
        },
      },
    },
  };
}

beforeEach(() => reset());

describe('python.ts (Python extension API, mocked)', () => {
  it('no Python extension: nothing', async () => {
    assert.equal(hasPythonExtension(), false);
    assert.equal(await activePythonEnvironment(), undefined);
  });

  it('activates the extension and resolves the active environment of the first folder', async () => {
    state.workspaceFolders = [{ uri: Uri.file('/ws'), name: 'ws', index: 0 }];
    const { api, calls } = environmentsApi('/ws/.venv/bin/python', '/ws/.venv');
    installExtension(PYTHON_EXTENSION_ID, api);
    assert.equal(hasPythonExtension(), true);
    assert.deepEqual(await activePythonEnvironment(), { executable: '/ws/.venv/bin/python', prefix: '/ws/.venv' });
    assert.equal(state.activations, 1);
    assert.deepEqual(calls, ['active /ws', 'resolve env-1']);
  });

  it('does not activate an active extension again', async () => {
    installExtension(PYTHON_EXTENSION_ID, environmentsApi('/e/bin/python').api, true);
    assert.deepEqual(await activePythonEnvironment(), { executable: '/e/bin/python', prefix: undefined });
    assert.equal(state.activations, 0);
  });

  it('an unresolved environment: its path is the interpreter', async () => {
    installExtension(PYTHON_EXTENSION_ID, {
      environments: {
        getActiveEnvironmentPath: () => ({ id: 'x', path: '/usr/bin/python3' }),
        resolveEnvironment: async () => undefined,
      },
    });
    assert.deepEqual(await activePythonEnvironment(), { executable: '/usr/bin/python3' });
  });

  it('an old Python extension: settings.getExecutionDetails', async () => {
    installExtension(PYTHON_EXTENSION_ID, {
      settings: { getExecutionDetails: () => ({ execCommand: ['/old/bin/python'] }) },
    });
    assert.deepEqual(await activePythonEnvironment(), { executable: '/old/bin/python' });
    installExtension(PYTHON_EXTENSION_ID, {
      settings: { getExecutionDetails: () => ({ execCommand: ['conda', 'run', '-n', 'x', 'python'] }) },
    });
    assert.equal(await activePythonEnvironment(), undefined, 'a command line is not an interpreter path');
  });
});

describe('config.ts (VS Code settings, mocked)', () => {
  it('reads gomodDoctor.* into the server\'s nested settings, with the trust', () => {
    state.config.set('', {
      verify: 'quick',
      'diagnostics.severity': { 'cache-modified': 'warning' },
      'watch.debounceMs': 50,
      'server.path': '/opt/gomod-doctor',
      'trace.server': 'verbose',
    });
    state.isTrusted = false;
    const s = readServerSettings();
    assert.deepEqual(s, {
      verify: 'quick',
      diagnostics: { severity: { 'cache-modified': 'warning' } },
      goBinary: null,
      env: {},
      watch: { debounceMs: 50 },
      localReplaceSearchPaths: [],
      network: 'auto',
      trusted: false,
    });
    assert.equal(state.configCalls[0]?.section, 'gomodDoctor');
    assert.equal(readServerPathSetting(), '/opt/gomod-doctor');
  });

  it('reads a folder\'s settings for a scopeUri', () => {
    const folder = Uri.file('/ws/a');
    state.config.set('', { verify: 'quick' });
    state.config.set(folder.toString(), { verify: 'off' });
    assert.equal(readServerSettings(folder as never).verify, 'off');
    assert.equal(readServerSettings().verify, 'quick');
    assert.equal(state.configCalls.at(-1)?.scope, null, 'no scope: the window');
  });

  it('reports wrong values', () => {
    state.config.set('', { network: 'sometimes' });
    const problems: string[] = [];
    assert.equal(readServerSettings(undefined, problems).network, 'auto');
    assert.equal(problems.length, 1);
  });

  it('server.path unset or not a string: empty', () => {
    assert.equal(readServerPathSetting(), '');
    state.config.set('', { 'server.path': 7 });
    assert.equal(readServerPathSetting(), '');
  });
});

describe('the server search on a real file system', { skip: process.platform === 'win32' }, () => {
  let root: string;
  const exe = (p: string): string => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return p;
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-resolve-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function search(trusted = true) {
    const ws = path.join(root, 'ws');
    state.workspaceFolders = [{ uri: Uri.file(ws), name: 'ws', index: 0 }];
    state.isTrusted = trusted;
    return resolveServer({
      settingPath: readServerPathSetting(),
      workspaceFolders: [ws],
      homeDir: path.join(root, 'home'),
      trusted,
      pythonEnvironment: hasPythonExtension() ? () => activePythonEnvironment() : undefined,
      pathEnv: [path.join(root, 'empty'), path.join(root, 'usr', 'bin')].join(path.delimiter),
      platform: process.platform,
      isExecutable: (f) => isExecutableFile(f),
    });
  }

  it('setting, then the Python environment, then PATH', async () => {
    const onPath = exe(path.join(root, 'usr', 'bin', 'gomod-doctor'));
    const inVenv = exe(path.join(root, 'ws', '.venv', 'bin', 'gomod-doctor'));
    const fromSetting = exe(path.join(root, 'home', 'bin', 'gomod-doctor'));
    installExtension(PYTHON_EXTENSION_ID, environmentsApi(path.join(root, 'ws', '.venv', 'bin', 'python'), path.join(root, 'ws', '.venv')).api);

    state.config.set('', { 'server.path': '~/bin/gomod-doctor' });
    assert.deepEqual(await search(), { ok: true, path: fromSetting, source: 'setting', notes: [] });

    state.config.set('', {});
    assert.deepEqual(await search(), { ok: true, path: inVenv, source: 'python', notes: [] });

    fs.rmSync(inVenv);
    assert.deepEqual(await search(), { ok: true, path: onPath, source: 'path', notes: [] });

    fs.chmodSync(onPath, 0o644); // not executable: not a server
    const r = await search();
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.message, /pipx install gomod-doctor/);
      assert.ok(r.tried.includes(onPath));
    }
  });

  it('an untrusted workspace skips its own .venv', async () => {
    exe(path.join(root, 'ws', '.venv', 'bin', 'gomod-doctor'));
    const onPath = exe(path.join(root, 'usr', 'bin', 'gomod-doctor'));
    installExtension(PYTHON_EXTENSION_ID, environmentsApi(path.join(root, 'ws', '.venv', 'bin', 'python')).api);
    const r = await search(false);
    assert.ok(r.ok);
    assert.equal(r.path, onPath);
    assert.equal(readServerSettings().trusted, false);
  });

  it('without the Python extension: straight to PATH', async () => {
    exe(path.join(root, 'ws', '.venv', 'bin', 'gomod-doctor'));
    const onPath = exe(path.join(root, 'usr', 'bin', 'gomod-doctor'));
    const r = await search();
    assert.deepEqual(r, { ok: true, path: onPath, source: 'path', notes: [] });
  });
});
