// The Node side of the install, for real: processes, a real Python, files, the lock.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverPython, parseProbe } from '../src/interpreter';
import { dirLock, findBundledWheel, probePython, readTextFile, runProcess, writeTextFile } from '../src/nodeDeps';
import { isExecutableFile, pathCandidates } from '../src/serverPath';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gmd-nodedeps-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The real python3 of this machine (the project needs one to run at all). */
function realPython(): string {
  const found = pathCandidates('python3', process.env.PATH, process.platform, process.env.PATHEXT).find((f) =>
    fs.existsSync(f),
  );
  assert.ok(found, 'no python3 on PATH');
  return found;
}

describe('runProcess', () => {
  it('streams the lines of stdout and stderr, and the exit status', async () => {
    const lines: string[] = [];
    const r = await runProcess(
      process.execPath,
      ['-e', 'console.log("one\\ntwo"); console.error("three"); process.exit(3)'],
      (l) => lines.push(l),
    );
    assert.deepEqual(r, { code: 3 });
    assert.deepEqual([...lines].sort(), ['one', 'three', 'two']);
  });

  it('a command that does not exist: no exit status, an error', async () => {
    const r = await runProcess(path.join(tmp, 'no-such-python'), [], () => undefined);
    assert.equal(r.code, null);
    assert.match(r.error ?? '', /ENOENT/);
  });

  it('a command that hangs is killed after its time', async () => {
    const r = await runProcess(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], () => undefined, { timeoutMs: 200 });
    assert.deepEqual(r, { code: null, error: 'no answer in 200 ms' });
  });
});

describe('probePython and discoverPython with real interpreters', () => {
  it('the probe of the real python3 reads its version and venv support', async () => {
    const py = realPython();
    const r = await probePython({ command: py, args: [], source: 'path' });
    assert.ok(r.ok, JSON.stringify(r));
    const info = parseProbe(r.stdout);
    assert.ok(typeof info !== 'string', String(info));
    assert.equal(info.version[0], 3);
    assert.ok(path.isAbsolute(info.executable));
  });

  it('on a PATH with a fake python3 (Python 2) and the real one as python: picks the real one', async () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    const fake = path.join(bin, 'python3');
    fs.writeFileSync(fake, '#!/bin/sh\necho "Python 2.7.18" >&2\nexit 1\n', { mode: 0o755 });
    fs.symlinkSync(realPython(), path.join(bin, 'python'));
    const r = await discoverPython({
      homeDir: tmp,
      trusted: true,
      platform: process.platform,
      pathEnv: bin,
      isExecutable: (f) => isExecutableFile(f),
      probe: (cmd) => probePython(cmd),
    });
    assert.ok(r.ok, r.tried.join('\n'));
    assert.equal(r.python.command, path.join(bin, 'python'));
    assert.equal(r.tried[0], `${fake}: exit status 1: Python 2.7.18`);
  });
});

describe('findBundledWheel', () => {
  it('the one gomod_doctor wheel in bundled/, with its version and sha256', async () => {
    const ext = path.join(tmp, 'ext');
    fs.mkdirSync(path.join(ext, 'bundled'), { recursive: true });
    assert.equal(await findBundledWheel(path.join(tmp, 'nowhere')), undefined);
    assert.equal(await findBundledWheel(ext), undefined);
    const file = path.join(ext, 'bundled', 'gomod_doctor-0.3.1-py3-none-any.whl');
    fs.writeFileSync(file, 'wheel bytes');
    fs.writeFileSync(path.join(ext, 'bundled', 'other_pkg-1.0-py3-none-any.whl'), 'x');
    assert.deepEqual(await findBundledWheel(ext), {
      file,
      version: '0.3.1',
      sha256: createHash('sha256').update('wheel bytes').digest('hex'),
    });
    fs.writeFileSync(path.join(ext, 'bundled', 'gomod_doctor-0.3.2-py3-none-any.whl'), 'y');
    assert.equal(await findBundledWheel(ext), undefined, 'two of them: which one?');
  });
});

describe('dirLock', () => {
  it('one holder at a time; a stale lock is taken over', async () => {
    const dir = path.join(tmp, 'install.lock');
    const lock = dirLock(dir);
    const release = await lock();
    assert.ok(release);
    assert.equal(await lock(), undefined, 'held');
    await release();
    const again = await lock();
    assert.ok(again);
    // a window that died holding it an hour ago
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(dir, old, old);
    assert.ok(await lock(), 'stale: taken over');
  });
});

describe('writeTextFile', () => {
  it('writes whole files (creating the folder) and reads them back', async () => {
    const f = path.join(tmp, 'state', 'installed.json');
    assert.equal(await readTextFile(f), undefined);
    await writeTextFile(f, '{"a": 1}\n');
    await writeTextFile(f, '{"a": 2}\n');
    assert.equal(await readTextFile(f), '{"a": 2}\n');
    assert.deepEqual(fs.readdirSync(path.dirname(f)), ['installed.json']);
  });
});
