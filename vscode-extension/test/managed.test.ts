import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Discovery, FoundPython } from '../src/interpreter';
import {
  ACTIONS,
  Installer,
  compareVersions,
  managedPaths,
  offerMessage,
  parseMarker,
  parseWheelName,
  type BundledWheel,
  type InstallState,
  type InstallerDeps,
  type Marker,
  type RunResult,
} from '../src/managed';

const STORAGE = '/home/u/.config/Code/User/globalStorage/gomod-doctor.gomod-doctor';
const PATHS = managedPaths(STORAGE, 'linux');
const WHEEL: BundledWheel = {
  file: '/ext/bundled/gomod_doctor-0.2.0-py3-none-any.whl',
  version: '0.2.0',
  sha256: 'b'.repeat(64),
};
const PYTHON: FoundPython = {
  command: '/usr/bin/python3',
  args: [],
  source: 'path',
  version: [3, 11, 2],
  executable: '/usr/bin/python3.11',
  venv: true,
};
const OLD_MARKER: Marker = {
  version: '0.1.0',
  wheel: 'gomod_doctor-0.1.0-py3-none-any.whl',
  sha256: 'a'.repeat(64),
  python: '/usr/bin/python3.11',
  pythonVersion: '3.11.2',
};

interface World {
  deps: InstallerDeps;
  files: Map<string, string>;
  executables: Set<string>;
  /** Everything that happened, in order: "ask: …", "run: …", "error: …", "progress: …", "docs", "settings", "output". */
  events: string[];
  reports: string[];
  log: string[];
  states: InstallState[];
  answers: { ask: (string | undefined)[]; error: (string | undefined)[] };
  /** Makes the next runs of a command fail ("pip" or "venv"), once each entry. */
  failures: ('pip' | 'venv')[];
  lockHeld: number;
}

/** Fake deps: an in-memory file system, processes that do what venv and pip would. */
function world(over: Partial<InstallerDeps> = {}, discovery: Discovery = { ok: true, python: PYTHON, tried: ['/usr/bin/python3: Python 3.11.2'] }): World {
  const w: World = {
    files: new Map(),
    executables: new Set(),
    events: [],
    reports: [],
    log: [],
    states: [],
    answers: { ask: [], error: [] },
    failures: [],
    lockHeld: 0,
    deps: undefined as unknown as InstallerDeps,
  };
  const run = async (command: string, args: string[], onLine: (l: string) => void): Promise<RunResult> => {
    w.events.push(`run: ${[command, ...args].join(' ')}`);
    if (args.includes('venv')) {
      if (w.failures[0] === 'venv') {
        w.failures.shift();
        onLine('Error: Command returned non-zero exit status 1.');
        return { code: 1 };
      }
      w.executables.add(PATHS.python);
      return { code: 0 };
    }
    if (args[0] === '-m' && args[1] === 'pip') {
      onLine(`Processing ${WHEEL.file}`);
      onLine('Collecting pygls<3,>=2.1 (from gomod-doctor==0.2.0)');
      if (w.failures[0] === 'pip') {
        w.failures.shift();
        onLine('ERROR: Could not find a version that satisfies the requirement pygls<3,>=2.1');
        return { code: 1 };
      }
      onLine('Successfully installed gomod-doctor-0.2.0 pygls-2.1.0');
      w.executables.add(PATHS.server);
      return { code: 0 };
    }
    return { code: null, error: `unexpected command ${command}` };
  };
  w.deps = {
    paths: PATHS,
    bundled: async () => WHEEL,
    autoInstall: () => false,
    ask: async (message, actions) => {
      w.events.push(`ask: ${message} [${actions.join('|')}]`);
      return w.answers.ask.shift();
    },
    showError: async (message, actions) => {
      w.events.push(`error: ${message} [${actions.join('|')}]`);
      return w.answers.error.shift();
    },
    openDocs: async () => void w.events.push('docs'),
    openSettings: async () => void w.events.push('settings'),
    showOutput: () => void w.events.push('output'),
    findPython: async () => {
      w.events.push('findPython');
      return discovery;
    },
    run,
    progress: async (title, task) => {
      w.events.push(`progress: ${title}`);
      return task((m) => w.reports.push(m));
    },
    readText: async (f) => w.files.get(f),
    writeText: async (f, t) => {
      w.events.push(`write: ${f}`);
      w.files.set(f, t);
    },
    remove: async (target) => {
      w.events.push(`remove: ${target}`);
      w.files.delete(target);
      for (const e of [...w.executables]) if (e === target || e.startsWith(`${target}/`)) w.executables.delete(e);
    },
    mkdirs: async () => undefined,
    isExecutable: async (f) => w.executables.has(f),
    lock: async () => {
      if (w.lockHeld > 0) {
        w.lockHeld--;
        return undefined;
      }
      w.events.push('lock');
      return async () => void w.events.push('unlock');
    },
    sleep: async () => undefined,
    log: {
      info: (s) => w.log.push(s),
      warn: (s) => w.log.push(`WARN ${s}`),
      error: (s) => w.log.push(`ERROR ${s}`),
    },
    ...over,
  };
  return w;
}

/** A world where version 0.1.0 was installed (marker, venv interpreter, server). */
function installedWorld(): World {
  const w = world();
  w.files.set(PATHS.marker, JSON.stringify(OLD_MARKER));
  w.executables.add(PATHS.python);
  w.executables.add(PATHS.server);
  return w;
}

function installer(w: World): Installer {
  const i = new Installer(w.deps);
  i.onState((s) => w.states.push(s));
  return i;
}

const VENV_RUN = `run: /usr/bin/python3 -m venv ${PATHS.venv}`;
const PIP_RUN = `run: ${PATHS.python} -m pip install ${WHEEL.file} --disable-pip-version-check --no-input`;

describe('Installer: the first start without a server', () => {
  it('offers the install; on "Install" makes the venv, pip-installs the bundled wheel, writes the marker last', async () => {
    const w = world();
    w.answers.ask.push(ACTIONS.install);
    const i = installer(w);
    assert.equal(await i.readyServer(), undefined);
    assert.equal(await i.offer(), true);
    assert.deepEqual(w.events, [
      `ask: ${offerMessage('0.2.0')} [Install|Open Settings]`,
      'progress: gomod-doctor: installing the language server',
      'lock',
      'findPython',
      `remove: ${PATHS.marker}`,
      `remove: ${PATHS.venv}`,
      VENV_RUN,
      PIP_RUN,
      `write: ${PATHS.marker}`,
      'unlock',
    ]);
    assert.deepEqual(w.states, ['asking', 'installing', 'installed']);
    assert.equal(i.state, 'installed');
    assert.equal(await i.readyServer(), PATHS.server);
    assert.deepEqual(parseMarker(w.files.get(PATHS.marker)), {
      version: '0.2.0',
      wheel: 'gomod_doctor-0.2.0-py3-none-any.whl',
      sha256: WHEEL.sha256,
      python: '/usr/bin/python3.11',
      pythonVersion: '3.11.2',
    });
    // the progress shows the steps and pip's own lines; the log has all of pip's output
    assert.ok(w.reports.includes('creating a virtual environment with Python 3.11.2 (/usr/bin/python3.11)'), w.reports.join('\n'));
    assert.ok(w.reports.includes('Successfully installed gomod-doctor-0.2.0 pygls-2.1.0'));
    assert.ok(w.log.includes('Collecting pygls<3,>=2.1 (from gomod-doctor==0.2.0)'));
    assert.ok(w.log.includes('python: /usr/bin/python3: Python 3.11.2'));
  });

  it('dismissed: nothing is installed, nothing run; "Open Settings" opens them', async () => {
    const w = world();
    const i = installer(w);
    assert.equal(await i.offer(), false);
    assert.equal(i.state, 'declined');
    assert.deepEqual(w.events.filter((e) => !e.startsWith('ask')), []);

    w.answers.ask.push(ACTIONS.openSettings);
    assert.equal(await i.offer(), false);
    assert.deepEqual(w.events.filter((e) => !e.startsWith('ask')), ['settings']);
  });

  it('gomodDoctor.server.autoInstall: installs without asking', async () => {
    const w = world({ autoInstall: () => true });
    const i = installer(w);
    assert.equal(await i.offer(), true);
    assert.equal(w.events.filter((e) => e.startsWith('ask')).length, 0);
    assert.ok(w.events.includes(PIP_RUN));
    assert.equal(await i.readyServer(), PATHS.server);
  });

  it('no bundled wheel (a development build): nothing to offer', async () => {
    const w = world({ bundled: async () => undefined });
    const i = installer(w);
    assert.equal(await i.canInstall(), false);
    assert.equal(await i.offer(), false);
    assert.deepEqual(w.events, []);
  });

  it('no suitable Python: one message with a button to the install docs; no venv', async () => {
    const w = world({}, { ok: false, tried: ['python3: not on PATH', 'python: not on PATH'] });
    w.answers.ask.push(ACTIONS.install);
    w.answers.error.push(ACTIONS.openDocs);
    const i = installer(w);
    assert.equal(await i.offer(), false);
    assert.equal(i.state, 'noPython');
    const errors = w.events.filter((e) => e.startsWith('error: '));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /needs Python 3\.10 or newer .* \[Open Install Docs\]$/);
    assert.equal(w.events.at(-1), 'docs');
    assert.ok(!w.events.some((e) => e.startsWith('run: ')));
    assert.ok(w.log.includes('python: python3: not on PATH'));
  });

  it('pip fails: no marker, the error names the output channel; Retry installs again', async () => {
    const w = world();
    w.failures.push('pip');
    w.answers.ask.push(ACTIONS.install);
    w.answers.error.push(ACTIONS.retry);
    const i = installer(w);
    assert.equal(await i.offer(), true);
    const errors = w.events.filter((e) => e.startsWith('error: '));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /installing the language server failed: installing gomod-doctor 0\.2\.0: exit status 1\. pip's output is in the gomod-doctor output channel\. \[Show Output\|Retry\]/);
    assert.equal(w.events.filter((e) => e === VENV_RUN).length, 2, 'the retry starts from a fresh venv');
    assert.deepEqual(w.states, ['asking', 'installing', 'failed', 'installing', 'installed']);
    assert.ok(w.log.includes('ERROR: Could not find a version that satisfies the requirement pygls<3,>=2.1'));
  });

  it('a failed install leaves no usable environment behind', async () => {
    const w = installedWorld();
    w.failures.push('venv');
    w.answers.error.push(ACTIONS.showOutput);
    const i = installer(w);
    assert.equal(await i.install(), false);
    assert.equal(i.state, 'failed');
    assert.equal(await i.readyServer(), undefined);
    assert.equal(w.events.at(-1), 'output');
    assert.ok(!w.events.some((e) => e.startsWith('write: ')));
  });

  it('asks once and installs once however often it is offered meanwhile', async () => {
    const w = world();
    let answer: (v: string) => void = () => undefined;
    w.deps.ask = (message, actions) => {
      w.events.push(`ask: ${message} [${actions.join('|')}]`);
      return new Promise((r) => (answer = r));
    };
    // pip runs until the test lets it finish
    let finishPip: () => void = () => undefined;
    const pipDone = new Promise<void>((r) => (finishPip = r));
    const run = w.deps.run;
    w.deps.run = async (command, args, onLine) => {
      if (args.includes('pip')) await pipDone;
      return run(command, args, onLine);
    };
    const i = installer(w);
    const first = i.offer();
    await new Promise((r) => setImmediate(r));
    const pending = i.offer(); // the question is open: its answer
    answer(ACTIONS.install);
    await new Promise((r) => setImmediate(r));
    assert.equal(i.state, 'installing');
    const again = i.offer(); // while it installs: the same install
    const direct = i.install();
    finishPip();
    assert.deepEqual(await Promise.all([first, pending, again, direct]), [true, true, true, true]);
    assert.equal(w.events.filter((e) => e.startsWith('ask')).length, 1);
    assert.equal(w.events.filter((e) => e === PIP_RUN).length, 1);
  });

  it('another window holds the lock and installs the same wheel: waits, runs nothing', async () => {
    const w = world({ autoInstall: () => true });
    w.lockHeld = 3;
    const realLock = w.deps.lock;
    w.deps.lock = async () => {
      if (w.lockHeld === 1) {
        // the other window finishes
        w.files.set(PATHS.marker, JSON.stringify({ ...OLD_MARKER, version: '0.2.0', sha256: WHEEL.sha256 }));
        w.executables.add(PATHS.server);
      }
      return realLock();
    };
    const i = installer(w);
    assert.equal(await i.offer(), true);
    assert.ok(!w.events.some((e) => e.startsWith('run: ')), w.events.join('\n'));
    assert.ok(w.reports.includes('waiting for another window that installs it'));
    assert.equal(await i.readyServer(), PATHS.server);
  });
});

describe('Installer: upgrade after an update of the extension', () => {
  it('a newer bundled wheel: pip-installs it into the existing venv, never asking', async () => {
    const w = installedWorld();
    const i = installer(w);
    assert.equal(await i.upgrade(), 'upgraded');
    assert.deepEqual(w.events, [
      'progress: gomod-doctor: installing the language server',
      'lock',
      PIP_RUN,
      `write: ${PATHS.marker}`,
      'unlock',
    ]);
    const m = parseMarker(w.files.get(PATHS.marker));
    assert.equal(m?.version, '0.2.0');
    assert.equal(m?.sha256, WHEEL.sha256);
    assert.equal(m?.python, OLD_MARKER.python, 'the same base interpreter');
    assert.ok(w.log.includes('upgrading the server 0.1.0 with the bundled 0.2.0'));
  });

  it('the same version, rebuilt: reinstalls it (pip would keep the old files)', async () => {
    const w = world();
    w.files.set(PATHS.marker, JSON.stringify({ ...OLD_MARKER, version: '0.2.0' }));
    w.executables.add(PATHS.python);
    const i = installer(w);
    assert.equal(await i.upgrade(), 'upgraded');
    assert.deepEqual(
      w.events.filter((e) => e.startsWith('run: ')),
      [PIP_RUN, `run: ${PATHS.python} -m pip install --force-reinstall --no-deps ${WHEEL.file} --disable-pip-version-check --no-input`],
    );
  });

  it('the bundled wheel is the installed one: nothing to do', async () => {
    const w = world();
    w.files.set(PATHS.marker, JSON.stringify({ ...OLD_MARKER, version: '0.2.0', sha256: WHEEL.sha256 }));
    assert.equal(await installer(w).upgrade(), 'current');
    assert.deepEqual(w.events, []);
  });

  it('no environment of its own (the user installed the server, or nobody did): touches nothing', async () => {
    const w = world();
    assert.equal(await installer(w).upgrade(), 'none');
    assert.deepEqual(w.events, []);
  });

  it('the venv lost its interpreter (Python was removed): made anew', async () => {
    const w = world();
    w.files.set(PATHS.marker, JSON.stringify(OLD_MARKER));
    const i = installer(w);
    assert.equal(await i.upgrade(), 'upgraded');
    assert.ok(w.events.includes('findPython'));
    assert.ok(w.events.includes(VENV_RUN));
    assert.equal(await i.readyServer(), PATHS.server);
  });

  it('a failed upgrade keeps the old server', async () => {
    const w = installedWorld();
    w.failures.push('pip');
    const i = installer(w);
    assert.equal(await i.upgrade(), 'failed');
    assert.match(w.events.find((e) => e.startsWith('error: ')) ?? '', /upgrading the language server failed/);
    assert.equal(await i.readyServer(), PATHS.server);
    assert.equal(parseMarker(w.files.get(PATHS.marker))?.version, '0.1.0');
  });
});

describe('managed: names and versions', () => {
  it('the environment lives in the extension\'s global storage', () => {
    assert.deepEqual(PATHS, {
      root: `${STORAGE}/server`,
      venv: `${STORAGE}/server/venv`,
      python: `${STORAGE}/server/venv/bin/python`,
      server: `${STORAGE}/server/venv/bin/gomod-doctor`,
      marker: `${STORAGE}/server/installed.json`,
      lock: `${STORAGE}/server/install.lock`,
    });
    const win = managedPaths('C:\\Users\\u\\AppData\\Roaming\\Code\\User\\globalStorage\\gomod-doctor.gomod-doctor', 'win32');
    assert.match(win.python, /\\server\\venv\\Scripts\\python\.exe$/);
    assert.match(win.server, /\\server\\venv\\Scripts\\gomod-doctor\.exe$/);
  });

  it('parses wheel names', () => {
    assert.deepEqual(parseWheelName('/x/bundled/gomod_doctor-0.1.0-py3-none-any.whl'), { dist: 'gomod_doctor', version: '0.1.0' });
    assert.deepEqual(parseWheelName('gomod_doctor-1.2.0rc1-1-py3-none-any.whl'), { dist: 'gomod_doctor', version: '1.2.0rc1' });
    assert.equal(parseWheelName('gomod_doctor-0.1.0.tar.gz'), undefined);
    assert.equal(parseWheelName('gomod_doctor-0.1.0-py3-none.whl'), undefined);
  });

  it('compares versions as pip does, for the common forms', () => {
    const ordered = ['0.1.0.dev1', '0.1.0a1', '0.1.0b2', '0.1.0rc1', '0.1.0', '0.1.0.post1', '0.1.1', '0.2.0', '0.10.0', '1.0'];
    for (let a = 0; a < ordered.length; a++) {
      for (let b = 0; b < ordered.length; b++) {
        const want = Math.sign(a - b);
        assert.equal(Math.sign(compareVersions(ordered[a] ?? '', ordered[b] ?? '')), want, `${ordered[a]} vs ${ordered[b]}`);
      }
    }
    assert.equal(compareVersions('1.0', '1.0.0'), 0);
  });

  it('an unreadable marker is no marker', () => {
    assert.equal(parseMarker(undefined), undefined);
    assert.equal(parseMarker('{'), undefined);
    assert.equal(parseMarker('{"version": "0.1.0"}'), undefined);
    assert.deepEqual(parseMarker(JSON.stringify(OLD_MARKER)), OLD_MARKER);
  });
});
