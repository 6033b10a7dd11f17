import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  discoverPython,
  interpreterOf,
  noPythonMessage,
  parseProbe,
  type DiscoverInput,
  type PythonCommand,
} from '../src/interpreter';

type Answer = { version: [number, number, number]; venv?: boolean } | { error: string } | { stdout: string };

/**
 * A machine where `executables` exist and each answers the probe as `answers`
 * says (keyed by the command line); records what was probed, in order.
 */
function machine(
  executables: string[],
  answers: Record<string, Answer>,
  over: Partial<DiscoverInput> = {},
): DiscoverInput & { probed: string[] } {
  const probed: string[] = [];
  const files = new Set(executables);
  return {
    homeDir: '/home/u',
    trusted: true,
    platform: 'linux',
    pathEnv: '/usr/local/bin:/usr/bin',
    workspaceFolders: ['/ws'],
    isExecutable: async (f) => files.has(f),
    probe: async (cmd: PythonCommand) => {
      const line = [cmd.command, ...cmd.args].join(' ');
      probed.push(line);
      const a = answers[line];
      if (!a) return { ok: false, error: 'ENOENT' };
      if ('error' in a) return { ok: false, error: a.error };
      if ('stdout' in a) return { ok: true, stdout: a.stdout };
      return {
        ok: true,
        stdout: JSON.stringify({ version: a.version, executable: `${cmd.command}-real`, venv: a.venv ?? true }),
      };
    },
    probed,
    ...over,
  };
}

describe('discoverPython: the order', () => {
  it('takes the Python extension\'s interpreter first, before the setting and PATH', async () => {
    const m = machine(['/usr/bin/python3', '/opt/py/bin/python3'], {
      '/ws/.venv/bin/python': { version: [3, 12, 1] },
      '/opt/py/bin/python3': { version: [3, 11, 0] },
      '/usr/bin/python3': { version: [3, 10, 0] },
    }, {
      pythonExtension: async () => '/ws/.venv/bin/python',
      setting: '/opt/py/bin/python3',
    });
    const r = await discoverPython(m);
    assert.ok(r.ok);
    assert.equal(r.python.command, '/ws/.venv/bin/python');
    assert.equal(r.python.source, 'python-extension');
    assert.deepEqual(r.python.version, [3, 12, 1]);
    assert.equal(r.python.executable, '/ws/.venv/bin/python-real');
    assert.deepEqual(m.probed, ['/ws/.venv/bin/python'], 'nothing else is run');
  });

  it('then the setting gomodDoctor.python (absolute, ~, or a command on PATH)', async () => {
    for (const [setting, want] of [
      ['/opt/py/bin/python3', '/opt/py/bin/python3'],
      ['~/py/bin/python3', '/home/u/py/bin/python3'],
      ['python3.12', '/usr/bin/python3.12'],
    ] as const) {
      const m = machine(['/usr/bin/python3', '/usr/bin/python3.12', '/opt/py/bin/python3', '/home/u/py/bin/python3'], {
        [want]: { version: [3, 12, 0] },
        '/usr/bin/python3': { version: [3, 11, 0] },
      }, { setting, pythonExtension: async () => undefined });
      const r = await discoverPython(m);
      assert.ok(r.ok, setting);
      assert.equal(r.python.command, want, setting);
      assert.equal(r.python.source, 'setting');
      assert.ok(r.tried.includes('the Python extension: no active interpreter'), r.tried.join('\n'));
    }
  });

  it('then python3, then python on PATH (the first directory that has it)', async () => {
    const m = machine(['/usr/local/bin/python', '/usr/bin/python3'], {
      '/usr/bin/python3': { version: [3, 11, 2] },
      '/usr/local/bin/python': { version: [3, 13, 0] },
    });
    const r = await discoverPython(m);
    assert.ok(r.ok);
    assert.equal(r.python.command, '/usr/bin/python3');
    assert.equal(r.python.source, 'path');

    const m2 = machine(['/usr/local/bin/python'], { '/usr/local/bin/python': { version: [3, 13, 0] } });
    const r2 = await discoverPython(m2);
    assert.ok(r2.ok);
    assert.equal(r2.python.command, '/usr/local/bin/python');
    assert.ok(r2.tried.includes('python3: not on PATH'));
  });

  it('on Windows: python3, python, then the launcher as `py -3`', async () => {
    const m = machine(['C:\\Windows\\py.exe', 'C:\\Users\\u\\AppData\\Local\\Microsoft\\WindowsApps\\python.exe'], {
      'C:\\Users\\u\\AppData\\Local\\Microsoft\\WindowsApps\\python.exe': { error: 'exit status 9009' },
      'C:\\Windows\\py.exe -3': { version: [3, 12, 4] },
    }, {
      platform: 'win32',
      pathEnv: 'C:\\Users\\u\\AppData\\Local\\Microsoft\\WindowsApps;C:\\Windows',
      pathExt: '.COM;.EXE;.BAT',
      homeDir: 'C:\\Users\\u',
      workspaceFolders: ['C:\\ws'],
    });
    const r = await discoverPython(m);
    assert.ok(r.ok, JSON.stringify(r.tried));
    assert.deepEqual([r.python.command, r.python.args, r.python.source], ['C:\\Windows\\py.exe', ['-3'], 'py-launcher']);
    assert.ok(r.tried.some((t) => t.includes('WindowsApps\\python.exe: exit status 9009')), r.tried.join('\n'));
  });
});

describe('discoverPython: passing over what cannot make the venv', () => {
  it('a Python older than 3.10, one without venv/ensurepip, one that is not Python 3', async () => {
    const m = machine(['/opt/old/python3', '/usr/bin/python3', '/usr/bin/python'], {
      '/opt/old/python3': { version: [3, 9, 18] },
      '/usr/bin/python3': { version: [3, 11, 2], venv: false },
      '/usr/bin/python': { stdout: 'Python 2.7.18' },
    }, { setting: '/opt/old/python3' });
    const r = await discoverPython(m);
    assert.equal(r.ok, false);
    assert.deepEqual(r.tried, [
      '/opt/old/python3 (gomodDoctor.python): Python 3.9.18, older than 3.10',
      '/usr/bin/python3: Python 3.11.2 without venv/ensurepip (on Debian and Ubuntu: apt install python3-venv)',
      '/usr/bin/python: not Python 3 (it printed "Python 2.7.18")',
    ]);
  });

  it('goes on past one that fails to the next', async () => {
    const m = machine(['/usr/local/bin/python3', '/usr/bin/python'], {
      '/usr/local/bin/python3': { error: 'no answer in 10000 ms' },
      '/usr/bin/python': { version: [3, 10, 0] },
    }, { pythonExtension: async () => { throw new Error('the Python extension did not answer in 20 s'); } });
    const r = await discoverPython(m);
    assert.ok(r.ok);
    assert.equal(r.python.command, '/usr/bin/python');
    assert.deepEqual(r.tried.slice(0, 2), [
      'the Python extension: the Python extension did not answer in 20 s',
      '/usr/local/bin/python3: no answer in 10000 ms',
    ]);
  });

  it('runs no interpreter inside an untrusted workspace', async () => {
    const m = machine(['/ws/.venv/bin/python3', '/usr/bin/python3'], {
      '/ws/.venv/bin/python': { version: [3, 12, 0] },
      '/ws/.venv/bin/python3': { version: [3, 12, 0] },
      '/usr/bin/python3': { version: [3, 11, 0] },
    }, {
      trusted: false,
      pythonExtension: async () => '/ws/.venv/bin/python',
      setting: '/ws/.venv/bin/python3',
    });
    const r = await discoverPython(m);
    assert.ok(r.ok);
    assert.equal(r.python.command, '/usr/bin/python3');
    assert.deepEqual(m.probed, ['/usr/bin/python3']);
    assert.equal(r.tried.filter((t) => t.includes('inside the untrusted workspace')).length, 2);
  });

  it('asks each interpreter once', async () => {
    const m = machine(['/usr/bin/python3'], { '/usr/bin/python3': { version: [3, 8, 0] } }, {
      pythonExtension: async () => '/usr/bin/python3',
      setting: 'python3',
    });
    const r = await discoverPython(m);
    assert.equal(r.ok, false);
    assert.deepEqual(m.probed, ['/usr/bin/python3']);
  });

  it('nothing at all: every place is named', async () => {
    const r = await discoverPython(machine([], {}, { setting: '/nope/python' }));
    assert.equal(r.ok, false);
    assert.deepEqual(r.tried, [
      '/nope/python (gomodDoctor.python): ENOENT',
      'python3: not on PATH',
      'python: not on PATH',
    ]);
    const msg = noPythonMessage();
    assert.match(msg, /Python 3\.10 or newer/);
    assert.match(msg, /gomodDoctor\.python/);
  });
});

describe('parseProbe', () => {
  it('reads the last line of JSON', () => {
    assert.deepEqual(parseProbe('warning: something\n{"version": [3, 11, 2], "executable": "/usr/bin/python3", "venv": true}\n'), {
      version: [3, 11, 2],
      executable: '/usr/bin/python3',
      venv: true,
    });
  });

  it('says why an answer is unusable', () => {
    assert.match(String(parseProbe('')), /not Python 3/);
    assert.match(String(parseProbe('{"version": "3.11"}')), /no version/);
    assert.match(String(parseProbe('{"version": [3, 11, 2], "executable": ""}')), /no sys.executable/);
  });
});

describe('interpreterOf', () => {
  it('the Python extension\'s environment: its executable, else its prefix\'s interpreter', () => {
    assert.equal(interpreterOf({ executable: '/p/bin/python3.12', prefix: '/p' }, 'linux'), '/p/bin/python3.12');
    assert.equal(interpreterOf({ prefix: '/p' }, 'linux'), '/p/bin/python');
    assert.equal(interpreterOf({ prefix: 'C:\\envs\\p' }, 'win32'), 'C:\\envs\\p\\python.exe');
    assert.equal(interpreterOf({}, 'linux'), undefined);
    assert.equal(interpreterOf(undefined, 'linux'), undefined);
  });
});
