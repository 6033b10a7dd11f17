// The server environment the extension installs and owns: a venv in its global
// storage, with the gomod-doctor wheel the VSIX bundles (built from the same
// sources at packaging time) installed by pip, its dependencies resolved by the
// user's own pip configuration.
//
//   <globalStorage>/server/venv/            the virtual environment
//   <globalStorage>/server/installed.json   what was installed (written last)
//   <globalStorage>/server/install.lock     held while a window installs
//
// `Installer` is the install state machine:
//
//   idle ──offer()──> asking ──Install──> installing ──> installed
//     │                 │ (dismissed)         ├──> noPython (one message, a docs button)
//     │                 └──> declined         └──> failed   (Show Output / Retry)
//     └── autoInstall ──────────────────────> installing
//
// and `upgrade()` brings an installed environment to the bundled wheel when they
// differ (a new extension version). A server the user installed is never touched:
// only this directory is. Everything outside (processes, files, the UI) comes in
// through `InstallerDeps`, so the machine runs under plain Node in the unit tests.

import * as path from 'node:path';
import { noPythonMessage, versionText, type Discovery, type FoundPython } from './interpreter';

export const SERVER_DIST = 'gomod_doctor';

export interface ManagedPaths {
  root: string;
  venv: string;
  /** The venv's interpreter. */
  python: string;
  /** The venv's `gomod-doctor` console script. */
  server: string;
  marker: string;
  lock: string;
}

export function managedPaths(globalStorage: string, platform: NodeJS.Platform): ManagedPaths {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const root = p.join(globalStorage, 'server');
  const venv = p.join(root, 'venv');
  const bin = p.join(venv, platform === 'win32' ? 'Scripts' : 'bin');
  const exe = platform === 'win32' ? '.exe' : '';
  return {
    root,
    venv,
    python: p.join(bin, `python${exe}`),
    server: p.join(bin, `gomod-doctor${exe}`),
    marker: p.join(root, 'installed.json'),
    lock: p.join(root, 'install.lock'),
  };
}

/** A wheel file name's distribution and version (PEP 427), or undefined. */
export function parseWheelName(file: string): { dist: string; version: string } | undefined {
  const m = /^([A-Za-z0-9_.]+)-([0-9][A-Za-z0-9_.!+]*)-(?:[0-9][^-]*-)?[^-]+-[^-]+-[^-]+\.whl$/.exec(path.basename(file));
  if (!m || !m[1] || !m[2]) return undefined;
  return { dist: m[1], version: m[2] };
}

/** The bundled wheel: its file, version and sha256. */
export interface BundledWheel {
  file: string;
  version: string;
  sha256: string;
}

/** installed.json: what the managed environment holds. */
export interface Marker {
  version: string;
  wheel: string;
  sha256: string;
  /** The base interpreter the venv was made from, and its version. */
  python: string;
  pythonVersion: string;
}

export function parseMarker(text: string | undefined): Marker | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const keys = ['version', 'wheel', 'sha256', 'python', 'pythonVersion'] as const;
    if (typeof v !== 'object' || v === null || !keys.every((k) => typeof v[k] === 'string')) return undefined;
    return {
      version: v.version as string,
      wheel: v.wheel as string,
      sha256: v.sha256 as string,
      python: v.python as string,
      pythonVersion: v.pythonVersion as string,
    };
  } catch {
    return undefined;
  }
}

/**
 * Compares two versions (PEP 440's common forms: release numbers, then a
 * pre-release `aN`/`bN`/`rcN` before the release, `.devN` before that, `.postN`
 * after): negative, zero or positive.
 */
export function compareVersions(a: string, b: string): number {
  const key = (v: string): number[] => {
    const m = /^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc|c|alpha|beta|pre|preview)[-_.]?(\d*))?(?:[-_.]?post[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?/i.exec(
      v.trim(),
    );
    if (!m || !m[1]) return [];
    const release = m[1].split('.').map(Number);
    while (release.length < 4) release.push(0);
    const pre = m[2] ? m[2].toLowerCase() : undefined;
    const preRank = pre === undefined ? 3 : pre.startsWith('a') ? 0 : pre.startsWith('b') ? 1 : 2;
    // a dev release of a final version comes before its pre-releases
    const dev = m[5] !== undefined;
    return [
      ...release.slice(0, 4),
      dev && pre === undefined && m[4] === undefined ? -1 : preRank,
      Number(m[3] || 0),
      m[4] !== undefined ? 1 + Number(m[4] || 0) : 0,
      dev ? Number(m[5] || 0) : Number.MAX_SAFE_INTEGER,
    ];
  };
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export type InstallState = 'idle' | 'asking' | 'declined' | 'installing' | 'installed' | 'failed' | 'noPython';

export type UpgradeResult = 'none' | 'current' | 'upgraded' | 'failed';

export interface RunResult {
  /** The exit code; null when it could not start or was killed. */
  code: number | null;
  error?: string | undefined;
}

export interface InstallerDeps {
  paths: ManagedPaths;
  /** The wheel in the VSIX; undefined in a build without one. */
  bundled: () => Promise<BundledWheel | undefined>;
  /** `gomodDoctor.server.autoInstall`. */
  autoInstall: () => boolean;
  /** An information notification with buttons; the one picked. */
  ask: (message: string, actions: string[]) => Promise<string | undefined>;
  /** An error notification with buttons; the one picked. */
  showError: (message: string, actions: string[]) => Promise<string | undefined>;
  openDocs: () => Promise<void>;
  openSettings: () => Promise<void>;
  showOutput: () => void;
  findPython: () => Promise<Discovery>;
  /** Runs a process; each line of its output (stdout and stderr) goes to `onLine`. */
  run: (command: string, args: string[], onLine: (line: string) => void) => Promise<RunResult>;
  /** Shows progress (a notification) while `task` runs. */
  progress: <T>(title: string, task: (report: (message: string) => void) => Promise<T>) => Promise<T>;
  readText: (file: string) => Promise<string | undefined>;
  writeText: (file: string, text: string) => Promise<void>;
  /** Removes a file or a directory tree (no error when missing). */
  remove: (target: string) => Promise<void>;
  mkdirs: (dir: string) => Promise<void>;
  isExecutable: (file: string) => Promise<boolean>;
  /** Takes the install lock: its release, or undefined while another holder has it. */
  lock: () => Promise<(() => Promise<void>) | undefined>;
  /** Waits `ms` (between two tries of the lock). */
  sleep: (ms: number) => Promise<void>;
  log: { info(s: string): void; warn(s: string): void; error(s: string): void };
}

export const ACTIONS = {
  install: 'Install',
  openSettings: 'Open Settings',
  openDocs: 'Open Install Docs',
  showOutput: 'Show Output',
  retry: 'Retry',
} as const;

/** How long a window waits for another window's install before giving up. */
export const LOCK_WAIT_MS = 10 * 60_000;
const LOCK_POLL_MS = 1000;

export function offerMessage(version: string): string {
  return (
    'Install the gomod-doctor server? No gomod-doctor language server was found ' +
    '(gomodDoctor.server.path, the active Python environment, PATH). The extension can install the ' +
    `one it bundles (${version}) into a Python environment of its own, with pip.`
  );
}

/** What pip says that is worth showing in the progress notification. */
function progressLine(line: string): string | undefined {
  const m = /^\s*(Processing|Collecting|Downloading|Installing collected packages|Successfully installed)\b.*/.exec(line);
  return m ? m[0].trim().slice(0, 120) : undefined;
}

class StepError extends Error {}

export class Installer {
  private stateValue: InstallState = 'idle';
  private running: Promise<boolean> | undefined;
  private offering: Promise<boolean> | undefined;
  private readonly listeners: ((s: InstallState) => void)[] = [];

  constructor(private readonly deps: InstallerDeps) {}

  get state(): InstallState {
    return this.stateValue;
  }

  onState(listener: (s: InstallState) => void): void {
    this.listeners.push(listener);
  }

  private set(state: InstallState): void {
    this.stateValue = state;
    for (const l of this.listeners) l(state);
  }

  /** The VSIX bundles a server to install. */
  async canInstall(): Promise<boolean> {
    return (await this.deps.bundled()) !== undefined;
  }

  async marker(): Promise<Marker | undefined> {
    return parseMarker(await this.deps.readText(this.deps.paths.marker));
  }

  /** The managed server, when an install finished (its marker is there) and it can be run. */
  async readyServer(): Promise<string | undefined> {
    if (!(await this.marker())) return undefined;
    return (await this.deps.isExecutable(this.deps.paths.server)) ? this.deps.paths.server : undefined;
  }

  /**
   * No server was found: install the bundled one when `autoInstall` is on, else
   * ask. True when a server is installed now (the caller starts it).
   */
  offer(): Promise<boolean> {
    // asked again while the question is open, or while it installs: the same answer
    this.offering ??= this.ask().finally(() => {
      this.offering = undefined;
    });
    return this.offering;
  }

  private async ask(): Promise<boolean> {
    if (this.running) return this.running;
    const wheel = await this.deps.bundled();
    if (!wheel) return false;
    if (this.deps.autoInstall()) {
      this.deps.log.info('gomodDoctor.server.autoInstall is on: installing the bundled server');
      return this.install();
    }
    this.set('asking');
    const pick = await this.deps.ask(offerMessage(wheel.version), [ACTIONS.install, ACTIONS.openSettings]);
    if (pick === ACTIONS.install) return this.install();
    this.set('declined');
    if (pick === ACTIONS.openSettings) await this.deps.openSettings();
    return false;
  }

  /** Creates the environment anew and installs the bundled wheel (one run at a time). */
  install(): Promise<boolean> {
    if (!this.running) {
      this.running = this.run('install').finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * An environment installed before, from another wheel (the extension was
   * updated): install the bundled one into it. Never asks.
   */
  async upgrade(): Promise<UpgradeResult> {
    const marker = await this.marker();
    if (!marker) return 'none';
    const wheel = await this.deps.bundled();
    if (!wheel || wheel.sha256 === marker.sha256) return 'current';
    if (this.running) return (await this.running) ? 'upgraded' : 'failed';
    this.running = this.run('upgrade').finally(() => {
      this.running = undefined;
    });
    return (await this.running) ? 'upgraded' : 'failed';
  }

  private async run(kind: 'install' | 'upgrade'): Promise<boolean> {
    const { deps } = this;
    const wheel = await deps.bundled();
    if (!wheel) return false;
    this.set('installing');
    let noPython = false;
    let failure: string | undefined;
    try {
      await deps.progress('gomod-doctor: installing the language server', async (report) => {
        const release = await this.takeLock(report);
        try {
          // another window may have done it meanwhile
          const marker = await this.marker();
          if (marker?.sha256 === wheel.sha256 && (await deps.isExecutable(deps.paths.server))) {
            deps.log.info(`the server ${marker.version} is installed (by another window)`);
            return;
          }
          if (kind === 'upgrade' && marker && (await deps.isExecutable(deps.paths.python))) {
            await this.upgradeSteps(marker, wheel, report);
            return;
          }
          const python = await this.findPython(report);
          if (!python) {
            noPython = true;
            return;
          }
          await this.installSteps(python, wheel, report);
        } finally {
          await release();
        }
      });
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    if (noPython) {
      this.set('noPython');
      const pick = await deps.showError(noPythonMessage(), [ACTIONS.openDocs]);
      if (pick === ACTIONS.openDocs) await deps.openDocs();
      return false;
    }
    if (failure !== undefined) {
      this.set('failed');
      deps.log.error(`installing the server failed: ${failure}`);
      const what = kind === 'upgrade' ? 'upgrading' : 'installing';
      const pick = await deps.showError(
        `gomod-doctor: ${what} the language server failed: ${failure}. pip's output is in the gomod-doctor output channel.`,
        [ACTIONS.showOutput, ACTIONS.retry],
      );
      if (pick === ACTIONS.showOutput) deps.showOutput();
      else if (pick === ACTIONS.retry) return this.run('install');
      // an upgrade that failed leaves the old server in place (pip rolls back)
      return false;
    }
    this.set('installed');
    return true;
  }

  private async takeLock(report: (m: string) => void): Promise<() => Promise<void>> {
    await this.deps.mkdirs(this.deps.paths.root);
    for (let waited = 0; ; waited += LOCK_POLL_MS) {
      const release = await this.deps.lock();
      if (release) return release;
      if (waited === 0) {
        report('waiting for another window that installs it');
        this.deps.log.info(`${this.deps.paths.lock} is held: another window installs the server; waiting`);
      }
      if (waited >= LOCK_WAIT_MS) throw new StepError(`another window held ${this.deps.paths.lock} too long`);
      await this.deps.sleep(LOCK_POLL_MS);
    }
  }

  private async findPython(report: (m: string) => void): Promise<FoundPython | undefined> {
    report(`looking for Python 3.10 or newer`);
    const found = await this.deps.findPython();
    for (const t of found.tried) this.deps.log.info(`python: ${t}`);
    return found.ok ? found.python : undefined;
  }

  /** Runs `args` with the venv's pip (or another command), its output to the log. */
  private async step(what: string, command: string, args: string[], report: (m: string) => void): Promise<void> {
    this.deps.log.info(`${what}: ${[command, ...args].join(' ')}`);
    report(what);
    const r = await this.deps.run(command, args, (line) => {
      this.deps.log.info(line);
      const shown = progressLine(line);
      if (shown) report(shown);
    });
    if (r.code !== 0) {
      throw new StepError(`${what}: ${r.error ?? `exit status ${r.code === null ? 'unknown' : r.code}`}`);
    }
  }

  private pip(args: string[]): string[] {
    return ['-m', 'pip', ...args, '--disable-pip-version-check', '--no-input'];
  }

  private async installSteps(python: FoundPython, wheel: BundledWheel, report: (m: string) => void): Promise<void> {
    const { paths } = this.deps;
    // the marker goes first and comes back last: a half-made environment is never used
    await this.deps.remove(paths.marker);
    await this.deps.remove(paths.venv);
    const pyText = `Python ${versionText(python.version)} (${python.executable})`;
    await this.step(
      `creating a virtual environment with ${pyText}`,
      python.command,
      [...python.args, '-m', 'venv', paths.venv],
      report,
    );
    await this.step(`installing gomod-doctor ${wheel.version}`, paths.python, this.pip(['install', wheel.file]), report);
    if (!(await this.deps.isExecutable(paths.server))) {
      throw new StepError(`pip installed no ${paths.server}`);
    }
    await this.writeMarker(wheel, python.executable, versionText(python.version));
    this.deps.log.info(`installed the server ${wheel.version} in ${paths.venv}`);
  }

  private async upgradeSteps(marker: Marker, wheel: BundledWheel, report: (m: string) => void): Promise<void> {
    const { paths } = this.deps;
    const how = compareVersions(wheel.version, marker.version) > 0 ? 'upgrading' : 'replacing';
    this.deps.log.info(`${how} the server ${marker.version} with the bundled ${wheel.version}`);
    // a wheel of another version replaces the installed one, and brings its new dependencies
    await this.step(`${how} gomod-doctor ${marker.version} → ${wheel.version}`, paths.python, this.pip(['install', wheel.file]), report);
    if (compareVersions(wheel.version, marker.version) === 0) {
      // the same version, other contents: pip would keep what it has
      await this.step(
        `reinstalling gomod-doctor ${wheel.version}`,
        paths.python,
        this.pip(['install', '--force-reinstall', '--no-deps', wheel.file]),
        report,
      );
    }
    await this.writeMarker(wheel, marker.python, marker.pythonVersion);
  }

  private async writeMarker(wheel: BundledWheel, python: string, pythonVersion: string): Promise<void> {
    const marker: Marker = {
      version: wheel.version,
      wheel: path.basename(wheel.file),
      sha256: wheel.sha256,
      python,
      pythonVersion,
    };
    await this.deps.writeText(this.deps.paths.marker, `${JSON.stringify(marker, null, 2)}\n`);
  }
}
