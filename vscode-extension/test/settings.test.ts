import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  DEFAULT_DEBOUNCE_MS,
  configurationAnswer,
  defaultSettings,
  toServerSettings,
  type ServerSettingKey,
} from '../src/settings';

const from = (flat: Partial<Record<ServerSettingKey, unknown>>) => (key: ServerSettingKey) => flat[key];

describe('toServerSettings', () => {
  it('gives the server\'s defaults when nothing is set', () => {
    assert.deepEqual(toServerSettings(() => undefined, true), {
      verify: 'full',
      diagnostics: { severity: {} },
      goBinary: null,
      env: {},
      watch: { debounceMs: DEFAULT_DEBOUNCE_MS },
      localReplaceSearchPaths: [],
      network: 'auto',
      trusted: true,
    });
  });

  it('maps the flat VS Code settings to the server\'s nested JSON', () => {
    const problems: string[] = [];
    const s = toServerSettings(
      from({
        verify: 'full',
        'diagnostics.severity': { 'cache-modified': 'warning', 'replace-unused': 'off' },
        goBinary: '/usr/local/go/bin/go',
        env: { GOFLAGS: '-mod=mod', GOPROXY: 'off' },
        'watch.debounceMs': 500,
        localReplaceSearchPaths: ['~/src', '/work'],
        network: 'off',
      }),
      true,
      problems,
    );
    assert.deepEqual(s, {
      verify: 'full',
      diagnostics: { severity: { 'cache-modified': 'warning', 'replace-unused': 'off' } },
      goBinary: '/usr/local/go/bin/go',
      env: { GOFLAGS: '-mod=mod', GOPROXY: 'off' },
      watch: { debounceMs: 500 },
      localReplaceSearchPaths: ['~/src', '/work'],
      network: 'off',
      trusted: true,
    });
    assert.deepEqual(problems, []);
    // JSON round trip: what goes over the wire
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  it('sends trusted from the workspace trust', () => {
    assert.equal(toServerSettings(() => undefined, false).trusted, false);
    assert.equal(toServerSettings(from({ verify: 'full' }), false).trusted, false);
    assert.deepEqual(defaultSettings(false), { ...defaultSettings(true), trusted: false });
  });

  it('never sends the extension\'s own settings', () => {
    const keys: string[] = [];
    toServerSettings((k) => {
      keys.push(k);
      return undefined;
    }, true);
    assert.deepEqual(keys.sort(), [
      'diagnostics.severity',
      'env',
      'goBinary',
      'localReplaceSearchPaths',
      'network',
      'verify',
      'watch.debounceMs',
    ]);
    assert.deepEqual(Object.keys(toServerSettings(() => undefined, true)).sort(), [
      'diagnostics',
      'env',
      'goBinary',
      'localReplaceSearchPaths',
      'network',
      'trusted',
      'verify',
      'watch',
    ]);
  });

  it('an empty goBinary is null (go on PATH)', () => {
    assert.equal(toServerSettings(from({ goBinary: '' }), true).goBinary, null);
    assert.equal(toServerSettings(from({ goBinary: '  ' }), true).goBinary, null);
    assert.equal(toServerSettings(from({ goBinary: null }), true).goBinary, null);
  });

  it('clamps and rounds debounceMs', () => {
    assert.equal(toServerSettings(from({ 'watch.debounceMs': -5 }), true).watch.debounceMs, 0);
    assert.equal(toServerSettings(from({ 'watch.debounceMs': 99999 }), true).watch.debounceMs, 10000);
    assert.equal(toServerSettings(from({ 'watch.debounceMs': 250.6 }), true).watch.debounceMs, 251);
  });

  it('normalizes severities (case, the server\'s aliases info and warn)', () => {
    const s = toServerSettings(
      from({ 'diagnostics.severity': { a: 'ERROR', b: 'info', c: 'warn', d: ' Hint ' } }),
      true,
    );
    assert.deepEqual(s.diagnostics.severity, { a: 'error', b: 'information', c: 'warning', d: 'hint' });
  });

  it('replaces wrong values by the defaults and says what was wrong', () => {
    const problems: string[] = [];
    const s = toServerSettings(
      from({
        verify: 'fast',
        'diagnostics.severity': { 'cache-modified': 'loud', 'sum-missing': 'hint' },
        goBinary: 42,
        env: { GOFLAGS: ['-x'], CGO_ENABLED: 0, GONOSUMDB: true },
        'watch.debounceMs': 'soon',
        localReplaceSearchPaths: ['~/src', 3, ''],
        network: 'on',
      }),
      true,
      problems,
    );
    assert.deepEqual(s, {
      ...defaultSettings(true),
      diagnostics: { severity: { 'sum-missing': 'hint' } },
      env: { CGO_ENABLED: '0', GONOSUMDB: 'true' },
      localReplaceSearchPaths: ['~/src'],
    });
    assert.deepEqual(problems, [
      'gomodDoctor.verify: want one of quick, full, off, got string "fast"; using the default',
      'gomodDoctor.diagnostics.severity.cache-modified: want error, warning, information, hint, off, got string "loud"; using the default',
      'gomodDoctor.goBinary: want a string, got number 42; using the default',
      'gomodDoctor.env.GOFLAGS: want a string, got an array; using the default',
      'gomodDoctor.watch.debounceMs: want a number of milliseconds, got string "soon"; using the default',
      'gomodDoctor.localReplaceSearchPaths: entries that are not paths are ignored',
      'gomodDoctor.network: want auto or off, got string "on"; using the default',
    ]);
  });

  it('accepts a single search path as a string', () => {
    assert.deepEqual(toServerSettings(from({ localReplaceSearchPaths: '~/src' }), true).localReplaceSearchPaths, [
      '~/src',
    ]);
  });

  it('object settings that are not objects are reported', () => {
    const problems: string[] = [];
    const s = toServerSettings(from({ env: 'GOFLAGS=-x', 'diagnostics.severity': ['x'] }), true, problems);
    assert.deepEqual(s, defaultSettings(true));
    assert.equal(problems.length, 2);
  });
});

describe('configurationAnswer (workspace/configuration)', () => {
  const settings = toServerSettings(from({ verify: 'full', 'watch.debounceMs': 300 }), false);

  it('answers the section with the whole nested object', () => {
    assert.deepEqual(configurationAnswer('gomodDoctor', settings), { handled: true, value: settings });
  });

  it('answers a dotted key inside the section', () => {
    assert.deepEqual(configurationAnswer('gomodDoctor.verify', settings), { handled: true, value: 'full' });
    assert.deepEqual(configurationAnswer('gomodDoctor.watch.debounceMs', settings), { handled: true, value: 300 });
    assert.deepEqual(configurationAnswer('gomodDoctor.trusted', settings), { handled: true, value: false });
    assert.deepEqual(configurationAnswer('gomodDoctor.server.path', settings), { handled: true, value: null });
  });

  it('leaves other sections to VS Code', () => {
    assert.deepEqual(configurationAnswer('go', settings), { handled: false });
    assert.deepEqual(configurationAnswer('gomodDoctorX', settings), { handled: false });
    assert.deepEqual(configurationAnswer(undefined, settings), { handled: false });
  });
});
