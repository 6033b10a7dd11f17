import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { majorMinor, versionMismatch } from '../src/handshake';

describe('the version handshake', () => {
  it('major.minor of a version', () => {
    assert.equal(majorMinor('0.1.0'), '0.1');
    assert.equal(majorMinor('1.12.3rc1'), '1.12');
    assert.equal(majorMinor('v2.0'), '2.0');
    assert.equal(majorMinor('7'), undefined);
    assert.equal(majorMinor(undefined), undefined);
  });

  it('no warning when major.minor agree (the patch level may differ)', () => {
    assert.equal(versionMismatch('0.1.0', { name: 'gomod-doctor', version: '0.1.7' }, '/usr/bin/gomod-doctor'), undefined);
  });

  it('a warning naming both versions and the server when they differ', () => {
    const w = versionMismatch('0.2.0', { name: 'gomod-doctor', version: '0.1.3' }, '/home/u/.local/bin/gomod-doctor');
    assert.ok(w);
    assert.match(w.message, /\/home\/u\/\.local\/bin\/gomod-doctor reports version 0\.1\.3; this extension is 0\.2\.0/);
    assert.match(w.message, /gomod-doctor 0\.2\.x/);
    // one key per pair (and server): warned once for it
    assert.equal(w.key, versionMismatch('0.2.0', { name: 'x', version: '0.1.3' }, '/home/u/.local/bin/gomod-doctor')?.key);
    assert.notEqual(w.key, versionMismatch('0.2.0', { name: 'x', version: '0.1.4' }, '/home/u/.local/bin/gomod-doctor')?.key);
    assert.ok(versionMismatch('1.0.0', { name: 'x', version: '0.1.0' }, 's'), 'another major');
  });

  it('a server that reports no version is told about too', () => {
    const w = versionMismatch('0.1.0', { name: 'gomod-doctor' }, 'gd');
    assert.match(w?.message ?? '', /reports no version/);
    assert.match(versionMismatch('0.1.0', undefined, 'gd')?.message ?? '', /reports no version/);
  });
});
