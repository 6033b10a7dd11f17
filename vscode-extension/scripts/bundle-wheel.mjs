// Builds the gomod-doctor wheel from this repository into bundled/ (run by
// `vscode:prepublish`, so `vsce package` ships the server built from the same
// sources as the extension). Only the wheel is bundled, never site-packages: its
// dependencies have compiled wheels per platform, which pip picks at install time.
//
//   node scripts/bundle-wheel.mjs
//
// GOMOD_DOCTOR_SOURCE   the project to build (default: the folder above this one)
// GOMOD_DOCTOR_PYTHON   the Python whose pip builds it (default: python3, or python on Windows)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.resolve(process.env.GOMOD_DOCTOR_SOURCE || path.join(here, '..'));
const python = process.env.GOMOD_DOCTOR_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
const out = path.join(here, 'bundled');
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));

function fail(message) {
  console.error(`bundle-wheel: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(path.join(source, 'pyproject.toml'))) {
  fail(`no pyproject.toml in ${source} (set GOMOD_DOCTOR_SOURCE to the gomod-doctor checkout)`);
}
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const r = spawnSync(
  python,
  ['-m', 'pip', 'wheel', '--no-deps', '--disable-pip-version-check', '--quiet', '--wheel-dir', out, source],
  { stdio: 'inherit' },
);
if (r.error) fail(`${python}: ${r.error.message}`);
if (r.status !== 0) fail(`${python} -m pip wheel ${source} failed (exit ${r.status})`);

const wheels = fs.readdirSync(out).filter((f) => f.endsWith('.whl'));
if (wheels.length !== 1 || !wheels[0].startsWith('gomod_doctor-')) {
  fail(`expected one gomod_doctor wheel in ${out}, got ${JSON.stringify(wheels)}`);
}
const version = wheels[0].split('-')[1];
if (version !== pkg.version) {
  fail(`the server is ${version} but the extension is ${pkg.version}: give them the same version`);
}
console.log(`bundle-wheel: ${path.join('bundled', wheels[0])} (${fs.statSync(path.join(out, wheels[0])).size} bytes)`);
