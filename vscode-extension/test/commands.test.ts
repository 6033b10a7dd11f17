import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  CLIENT_COMMANDS,
  SERVER_COMMANDS,
  SOURCE_ACTION_TITLES,
  findSourceAction,
  isModOrWork,
  moduleVersionAtLine,
  parseModuleVersion,
  resultMessage,
} from '../src/commandsLogic';
import { stderrLevel } from '../src/log';

describe('command ids', () => {
  it('the server\'s ids are gomod-doctor.*; the palette\'s are distinct', () => {
    for (const id of Object.values(SERVER_COMMANDS)) assert.match(id, /^gomod-doctor\.[a-zA-Z]+$/);
    for (const id of Object.values(CLIENT_COMMANDS)) assert.match(id, /^gomodDoctor\.[a-zA-Z]+$/);
    const server = new Set<string>(Object.values(SERVER_COMMANDS));
    for (const id of Object.values(CLIENT_COMMANDS)) assert.ok(!server.has(id));
  });
});

describe('parseModuleVersion', () => {
  it('splits module@version at the last @', () => {
    assert.deepEqual(parseModuleVersion(' golang.org/x/text@v0.14.0 '), {
      ok: true,
      module: 'golang.org/x/text',
      version: 'v0.14.0',
    });
    assert.deepEqual(parseModuleVersion('example.com/m@v0.0.0-20240101000000-abcdefabcdef'), {
      ok: true,
      module: 'example.com/m',
      version: 'v0.0.0-20240101000000-abcdefabcdef',
    });
  });

  it('explains what is wrong', () => {
    for (const bad of ['', 'golang.org/x/text', '@v1.0.0', 'golang.org/x/text@', 'a b@v1.0.0', 'x@latest', 'x@1.2.3']) {
      const r = parseModuleVersion(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.ok(r.error.length > 0);
    }
  });
});

describe('moduleVersionAtLine (prefills Compare proxies)', () => {
  it('reads require, exclude and replace lines', () => {
    assert.equal(moduleVersionAtLine('require golang.org/x/text v0.14.0'), 'golang.org/x/text@v0.14.0');
    assert.equal(moduleVersionAtLine('\tgolang.org/x/text v0.14.0 // indirect'), 'golang.org/x/text@v0.14.0');
    assert.equal(moduleVersionAtLine('exclude example.com/m v1.2.3'), 'example.com/m@v1.2.3');
    assert.equal(moduleVersionAtLine('replace example.com/m v1.2.3 => ../m'), 'example.com/m@v1.2.3');
    assert.equal(moduleVersionAtLine('\t"example.com/q" v1.0.0'), 'example.com/q@v1.0.0');
  });

  it('nothing for other lines', () => {
    for (const line of ['module example.com/me', 'go 1.22', 'toolchain go1.22.1', 'require (', ')', '', '// x v1.0.0', 'replace example.com/m => ../m', 'retract v1.0.0']) {
      assert.equal(moduleVersionAtLine(line), undefined, line);
    }
  });
});

describe('findSourceAction', () => {
  const actions = [
    { title: 'Disable local replace', kind: 'refactor.rewrite' },
    { title: SOURCE_ACTION_TITLES.disable, kind: 'refactor.rewrite' },
    { title: SOURCE_ACTION_TITLES.disable, kind: 'source', edit: { changes: {} } },
    { title: SOURCE_ACTION_TITLES.enable, kind: 'source.gomodDoctor', disabled: { reason: 'none' } },
    { title: 'Verify all now', kind: 'source', command: { command: 'gomod-doctor.verifyAll' } },
  ];

  it('picks the enabled source action with the exact title', () => {
    assert.equal(findSourceAction(actions, SOURCE_ACTION_TITLES.disable), actions[2]);
    assert.equal(findSourceAction(actions, SOURCE_ACTION_TITLES.enable), undefined);
    assert.equal(findSourceAction(actions, 'Verify all now'), actions[4]);
    assert.equal(findSourceAction(null, 'x'), undefined);
  });

  it('takes a bare command too (no kind)', () => {
    const cmd = { title: SOURCE_ACTION_TITLES.enable, command: 'gomod-doctor.x' };
    assert.equal(findSourceAction([cmd], SOURCE_ACTION_TITLES.enable), cmd);
  });

  it('matches the server\'s titles', () => {
    assert.deepEqual(SOURCE_ACTION_TITLES, {
      disable: 'Disable all local replaces',
      enable: 'Enable all local replaces',
    });
  });
});

describe('small helpers', () => {
  it('isModOrWork', () => {
    assert.ok(isModOrWork('/a/go.mod'));
    assert.ok(isModOrWork('C:\\a\\go.work'));
    assert.ok(isModOrWork('go.mod'));
    assert.ok(!isModOrWork('/a/go.sum'));
    assert.ok(!isModOrWork('/a/xgo.mod'));
    assert.ok(!isModOrWork('/a/go.mod.bak'));
  });

  it('resultMessage', () => {
    assert.deepEqual(resultMessage({ ok: true, message: 'done' }), { ok: true, message: 'done' });
    assert.deepEqual(resultMessage({ ok: false, summary: 'proxies disagree' }), { ok: false, message: 'proxies disagree' });
    assert.deepEqual(resultMessage({}), { ok: true });
    assert.equal(resultMessage(null), undefined);
    assert.equal(resultMessage('x'), undefined);
  });

  it('stderrLevel', () => {
    assert.equal(stderrLevel('ERROR gomod_doctor: boom'), 'error');
    assert.equal(stderrLevel('Traceback (most recent call last):'), 'error');
    assert.equal(stderrLevel('ValueError: bad'), 'error');
    assert.equal(stderrLevel('WARNING: slow proxy'), 'warn');
    assert.equal(stderrLevel('DEBUG x'), 'debug');
    assert.equal(stderrLevel('serving on stdio'), 'info');
  });
});
