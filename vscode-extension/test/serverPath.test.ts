import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  INSTALL_COMMANDS,
  expandSettingPath,
  isExecutableFile,
  notFoundMessage,
  pathCandidates,
  pythonCandidates,
  resolveServer,
  type ResolveInput,
} from '../src/serverPath';

/** A ResolveInput on a fake file system where exactly `executables` can be run. */
function input(executables: string[], over: Partial<ResolveInput> = {}): ResolveInput & { asked: string[] } {
  const asked: string[] = [];
  const set = new Set(executables);
  return {
    homeDir: '/home/u',
    trusted: true,
    platform: 'linux',
    pathEnv: '/usr/local/bin:/usr/bin',
    workspaceFolders: ['/ws'],
    isExecutable: async (f) => {
      asked.push(f);
      return set.has(f);
    },
    asked,
    ...over,
  };
}

const venv = { executable: '/ws/.venv/bin/python', prefix: '/ws/.venv' };
const userVenv = { executable: '/home/u/venvs/tools/bin/python3', prefix: '/home/u/venvs/tools' };

describe('resolveServer: the setting gomodDoctor.server.path', () => {
  it('uses an absolute path first, before the Python environment and PATH', async () => {
    let pythonAsked = false;
    const r = await resolveServer(
      input(['/opt/gd/bin/gomod-doctor', '/usr/bin/gomod-doctor', '/home/u/venvs/tools/bin/gomod-doctor'], {
        settingPath: '/opt/gd/bin/gomod-doctor',
        pythonEnvironment: async () => {
          pythonAsked = true;
          return userVenv;
        },
      }),
    );
    assert.deepEqual(r, { ok: true, path: '/opt/gd/bin/gomod-doctor', source: 'setting', notes: [] });
    assert.equal(pythonAsked, false, 'the Python extension is not asked when the setting works');
  });

  it('expands ~ and ${userHome}, and trims', async () => {
    for (const setting of ['  ~/bin/gomod-doctor ', '${userHome}/bin/gomod-doctor']) {
      const r = await resolveServer(input(['/home/u/bin/gomod-doctor'], { settingPath: setting }));
      assert.ok(r.ok && r.path === '/home/u/bin/gomod-doctor' && r.source === 'setting', setting);
    }
  });

  it('resolves a relative path (and ${workspaceFolder}) from the first workspace folder', async () => {
    for (const setting of ['tools/gomod-doctor', './tools/gomod-doctor', '${workspaceFolder}/tools/gomod-doctor']) {
      const r = await resolveServer(input(['/ws/tools/gomod-doctor'], { settingPath: setting }));
      assert.ok(r.ok && r.path === '/ws/tools/gomod-doctor' && r.source === 'setting', setting);
    }
  });

  it('looks a bare command name up on PATH', async () => {
    const r = await resolveServer(input(['/usr/bin/gomod-doctor-dev'], { settingPath: 'gomod-doctor-dev' }));
    assert.ok(r.ok);
    assert.equal(r.path, '/usr/bin/gomod-doctor-dev');
    assert.equal(r.source, 'setting');
  });

  it('falls through to the next source when the setting is wrong, and says so', async () => {
    const r = await resolveServer(input(['/usr/bin/gomod-doctor'], { settingPath: '/nope/gomod-doctor' }));
    assert.ok(r.ok);
    assert.equal(r.source, 'path');
    assert.deepEqual(r.notes, ['gomodDoctor.server.path "/nope/gomod-doctor" is not an executable file']);
  });

  it('treats an empty or blank setting as unset', async () => {
    for (const settingPath of ['', '   ', undefined]) {
      const r = await resolveServer(input(['/usr/bin/gomod-doctor'], { settingPath }));
      assert.ok(r.ok && r.source === 'path' && r.notes.length === 0);
    }
  });
});

describe('resolveServer: the active Python environment', () => {
  it('uses gomod-doctor beside the environment\'s interpreter', async () => {
    const r = await resolveServer(
      input(['/home/u/venvs/tools/bin/gomod-doctor', '/usr/bin/gomod-doctor'], { pythonEnvironment: async () => userVenv }),
    );
    assert.deepEqual(r, { ok: true, path: '/home/u/venvs/tools/bin/gomod-doctor', source: 'python', notes: [] });
  });

  it('uses the prefix\'s bin/ when only the prefix is known (a conda env)', async () => {
    const r = await resolveServer(
      input(['/opt/conda/envs/x/bin/gomod-doctor'], { pythonEnvironment: async () => ({ prefix: '/opt/conda/envs/x' }) }),
    );
    assert.ok(r.ok && r.source === 'python' && r.path === '/opt/conda/envs/x/bin/gomod-doctor');
  });

  it('goes on to PATH when the environment has no gomod-doctor', async () => {
    const r = await resolveServer(input(['/usr/bin/gomod-doctor'], { pythonEnvironment: async () => userVenv }));
    assert.ok(r.ok && r.source === 'path' && r.path === '/usr/bin/gomod-doctor');
  });

  it('goes on to PATH when the Python extension knows no environment or fails', async () => {
    const none = await resolveServer(input(['/usr/bin/gomod-doctor'], { pythonEnvironment: async () => undefined }));
    assert.ok(none.ok && none.source === 'path' && none.notes.length === 0);
    const failing = await resolveServer(
      input(['/usr/bin/gomod-doctor'], {
        pythonEnvironment: async () => {
          throw new Error('boom');
        },
      }),
    );
    assert.ok(failing.ok && failing.source === 'path');
    assert.deepEqual(failing.notes, ['the Python extension gave no environment: boom']);
  });

  it('finds Scripts\\gomod-doctor.exe on Windows', async () => {
    const r = await resolveServer(
      input(['C:\\proj\\.venv\\Scripts\\gomod-doctor.exe'], {
        platform: 'win32',
        pathEnv: 'C:\\Windows\\system32',
        workspaceFolders: ['C:\\proj'],
        pythonEnvironment: async () => ({ executable: 'C:\\proj\\.venv\\Scripts\\python.exe', prefix: 'C:\\proj\\.venv' }),
      }),
    );
    assert.ok(r.ok && r.source === 'python' && r.path === 'C:\\proj\\.venv\\Scripts\\gomod-doctor.exe');
  });

  it('candidates: bin/ on POSIX; the interpreter\'s dir and Scripts\\ on Windows', () => {
    assert.deepEqual(pythonCandidates(venv, 'linux'), ['/ws/.venv/bin/gomod-doctor']);
    assert.deepEqual(pythonCandidates({ executable: '/usr/bin/python3' }, 'darwin'), ['/usr/bin/gomod-doctor']);
    const win = pythonCandidates({ executable: 'C:\\Python312\\python.exe', prefix: 'C:\\Python312' }, 'win32', '.EXE;.CMD');
    assert.deepEqual(win, [
      'C:\\Python312\\gomod-doctor.exe',
      'C:\\Python312\\gomod-doctor.cmd',
      'C:\\Python312\\Scripts\\gomod-doctor.exe',
      'C:\\Python312\\Scripts\\gomod-doctor.cmd',
    ]);
  });
});

describe('resolveServer: PATH', () => {
  it('takes the first PATH entry that has it', async () => {
    const r = await resolveServer(
      input(['/usr/local/bin/gomod-doctor', '/usr/bin/gomod-doctor'], { pathEnv: '/usr/local/bin:/usr/bin' }),
    );
    assert.deepEqual(r, { ok: true, path: '/usr/local/bin/gomod-doctor', source: 'path', notes: [] });
  });

  it('skips empty and relative PATH entries', () => {
    assert.deepEqual(pathCandidates('gomod-doctor', ':.:bin:/usr/bin:', 'linux'), ['/usr/bin/gomod-doctor']);
  });

  it('tries PATHEXT on Windows, .exe first, and unquotes entries', () => {
    assert.deepEqual(pathCandidates('gomod-doctor', '"C:\\Tools";C:\\bin', 'win32', '.COM;.EXE;.BAT'), [
      'C:\\Tools\\gomod-doctor.exe',
      'C:\\Tools\\gomod-doctor.com',
      'C:\\Tools\\gomod-doctor.bat',
      'C:\\bin\\gomod-doctor.exe',
      'C:\\bin\\gomod-doctor.com',
      'C:\\bin\\gomod-doctor.bat',
    ]);
  });
});

describe('resolveServer: nothing found', () => {
  it('fails with the install commands and the places it looked', async () => {
    const r = await resolveServer(
      input([], { settingPath: '/nope/gomod-doctor', pythonEnvironment: async () => userVenv }),
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /pipx install gomod-doctor/);
    assert.match(r.message, /pip install gomod-doctor/);
    assert.match(r.message, /gomodDoctor\.server\.path/);
    assert.match(r.message, /"\/nope\/gomod-doctor" is not an executable file/);
    assert.deepEqual(r.tried, [
      '/nope/gomod-doctor',
      '/home/u/venvs/tools/bin/gomod-doctor',
      '/usr/local/bin/gomod-doctor',
      '/usr/bin/gomod-doctor',
    ]);
  });

  it('the message names both install commands and the restart command', () => {
    const m = notFoundMessage();
    for (const c of INSTALL_COMMANDS) assert.ok(m.includes(`\`${c}\``), c);
    assert.match(m, /gomod-doctor: Restart server/);
    assert.doesNotMatch(m, /\(\)/);
  });

  it('without PATH and without the Python extension', async () => {
    const r = await resolveServer(input([], { pathEnv: undefined }));
    assert.ok(!r.ok && r.tried.length === 0);
  });
});

describe('resolveServer: an untrusted workspace', () => {
  it('does not run a .venv inside the workspace', async () => {
    const r = await resolveServer(
      input(['/ws/.venv/bin/gomod-doctor', '/usr/bin/gomod-doctor'], {
        trusted: false,
        pythonEnvironment: async () => venv,
      }),
    );
    assert.ok(r.ok && r.source === 'path' && r.path === '/usr/bin/gomod-doctor');
    assert.deepEqual(r.notes, ['the active Python environment is inside the untrusted workspace: not run']);
  });

  it('does not run a setting that points into the workspace', async () => {
    const i = input(['/ws/tools/gomod-doctor'], { trusted: false, settingPath: '${workspaceFolder}/tools/gomod-doctor' });
    const r = await resolveServer(i);
    assert.equal(r.ok, false);
    assert.ok(!i.asked.includes('/ws/tools/gomod-doctor'), 'not even looked at');
  });

  it('still runs one outside the workspace', async () => {
    const r = await resolveServer(
      input(['/home/u/venvs/tools/bin/gomod-doctor'], { trusted: false, pythonEnvironment: async () => userVenv }),
    );
    assert.ok(r.ok && r.source === 'python');
  });

  it('a trusted workspace runs its .venv', async () => {
    const r = await resolveServer(input(['/ws/.venv/bin/gomod-doctor'], { pythonEnvironment: async () => venv }));
    assert.ok(r.ok && r.source === 'python' && r.path === '/ws/.venv/bin/gomod-doctor');
  });
});

describe('expandSettingPath', () => {
  it('expands what it knows and leaves the rest', () => {
    assert.equal(expandSettingPath('~', '/h', '/ws', 'linux'), '/h');
    assert.equal(expandSettingPath('~/x', '/h', '/ws', 'linux'), '/h/x');
    assert.equal(expandSettingPath('~other/x', '/h', '/ws', 'linux'), '~other/x');
    assert.equal(expandSettingPath('${workspaceFolder}/x', '/h', undefined, 'linux'), '${workspaceFolder}/x');
    assert.equal(expandSettingPath('~\\x', 'C:\\Users\\u', undefined, 'win32'), 'C:\\Users\\u\\x');
  });
});

describe('isExecutableFile (the real file system)', () => {
  it('wants a regular file with the execute bit', { skip: process.platform === 'win32' }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-exec-'));
    try {
      const exe = path.join(dir, 'gomod-doctor');
      const plain = path.join(dir, 'plain');
      fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(plain, 'x', { mode: 0o644 });
      fs.symlinkSync(exe, path.join(dir, 'link'));
      assert.equal(await isExecutableFile(exe), true);
      assert.equal(await isExecutableFile(path.join(dir, 'link')), true);
      assert.equal(await isExecutableFile(dir), false);
      assert.equal(await isExecutableFile(path.join(dir, 'missing')), false);
      assert.equal(await isExecutableFile(plain), false); // no x bit: not even root may run it
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
