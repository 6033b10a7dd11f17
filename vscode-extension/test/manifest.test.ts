// package.json's contributions agree with the code (and with the server's catalog).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLIENT_COMMANDS } from '../src/commandsLogic';
import { CLIENT_SETTING_KEYS, SERVER_SETTING_KEYS, defaultSettings } from '../src/settings';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const props: Record<string, { default?: unknown; enum?: string[]; properties?: Record<string, unknown> }> =
  pkg.contributes.configuration.properties;

describe('package.json', () => {
  it('contributes exactly the server\'s settings plus the extension\'s own', () => {
    const want = [...SERVER_SETTING_KEYS, ...CLIENT_SETTING_KEYS].map((k) => `gomodDoctor.${k}`).sort();
    assert.deepEqual(Object.keys(props).sort(), want);
  });

  it('the settings\' defaults are the server\'s defaults', () => {
    const d = defaultSettings(true);
    assert.equal(props['gomodDoctor.verify']?.default, d.verify);
    assert.deepEqual(props['gomodDoctor.verify']?.enum, ['quick', 'full', 'off']);
    assert.equal(props['gomodDoctor.network']?.default, d.network);
    assert.deepEqual(props['gomodDoctor.network']?.enum, ['auto', 'off']);
    assert.equal(props['gomodDoctor.watch.debounceMs']?.default, d.watch.debounceMs);
    assert.deepEqual(props['gomodDoctor.env']?.default, d.env);
    assert.deepEqual(props['gomodDoctor.diagnostics.severity']?.default, d.diagnostics.severity);
    assert.deepEqual(props['gomodDoctor.localReplaceSearchPaths']?.default, d.localReplaceSearchPaths);
    assert.equal(props['gomodDoctor.goBinary']?.default, '');
  });

  it('the bundled server\'s settings: no install without asking by default; machine-level', () => {
    const auto = props['gomodDoctor.server.autoInstall'] as { default?: unknown; type?: string; scope?: string };
    assert.deepEqual([auto.type, auto.default, auto.scope], ['boolean', false, 'machine']);
    const python = props['gomodDoctor.python'] as { default?: unknown; type?: string; scope?: string };
    assert.deepEqual([python.type, python.default, python.scope], ['string', '', 'machine-overridable']);
  });

  it('ships an icon and a gallery banner, and its LICENSE and CHANGELOG', () => {
    assert.equal(pkg.icon, 'images/icon.png');
    assert.ok(fs.existsSync(path.join(root, pkg.icon)));
    assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/);
    for (const f of ['LICENSE', 'CHANGELOG.md']) assert.ok(fs.existsSync(path.join(root, f)), f);
    assert.doesNotMatch(pkg.scripts.package, /--skip-license/);
    assert.match(pkg.scripts['vscode:prepublish'], /bundle-wheel\.mjs/);
  });

  it('works in untrusted workspaces, limited, restricting the settings that run programs', () => {
    const u = pkg.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, 'limited');
    assert.ok(typeof u.description === 'string' && u.description.length > 0);
    assert.deepEqual(u.restrictedConfigurations, [
      'gomodDoctor.server.path',
      'gomodDoctor.python',
      'gomodDoctor.goBinary',
      'gomodDoctor.env',
    ]);
    for (const k of u.restrictedConfigurations) assert.ok(k in props, k);
  });

  it('contributes the Go extension\'s language ids and file names', () => {
    const langs = Object.fromEntries(
      (pkg.contributes.languages as { id: string; filenames: string[] }[]).map((l) => [l.id, l.filenames]),
    );
    assert.deepEqual(langs, { 'go.mod': ['go.mod'], 'go.work': ['go.work'], 'go.sum': ['go.sum', 'go.work.sum'] });
    assert.equal(pkg.contributes.grammars, undefined, 'no grammar: the Go extension\'s stays');
    for (const id of ['go.mod', 'go.sum', 'go.work']) assert.ok(pkg.activationEvents.includes(`onLanguage:${id}`));
  });

  it('contributes every palette command, and only those', () => {
    const ids = (pkg.contributes.commands as { command: string; category: string }[]).map((c) => c.command).sort();
    assert.deepEqual(ids, Object.values(CLIENT_COMMANDS).sort());
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'gomod-doctor');
    const restart = pkg.contributes.commands.find((c: { command: string }) => c.command === CLIENT_COMMANDS.restartServer);
    assert.equal(`${restart.category}: ${restart.title}`, 'gomod-doctor: Restart server');
  });

  it('engines and dependencies as required', () => {
    assert.equal(pkg.engines.vscode, '^1.91.0');
    assert.equal(pkg.devDependencies['@types/vscode'], '1.91.0');
    assert.match(pkg.dependencies['vscode-languageclient'], /^\^11\./);
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('offers a severity for every code of the server\'s catalog', (t) => {
    const findings = path.join(root, '..', 'server', 'gomod_doctor', 'findings.py');
    if (!fs.existsSync(findings)) {
      t.skip('server/ is not beside vscode-extension/');
      return;
    }
    const text = fs.readFileSync(findings, 'utf8');
    const catalog = text.slice(text.indexOf('CATALOG'));
    const codes = [...catalog.matchAll(/CodeInfo\(\s*"([a-z0-9-]+)"/g)].map((m) => m[1]).sort();
    assert.ok(codes.length > 5);
    assert.deepEqual(
      Object.keys(props['gomodDoctor.diagnostics.severity']?.properties ?? {}).sort(),
      codes,
      'package.json is behind the catalog: run python3 vscode-extension/scripts/sync_codes.py',
    );
  });
});
