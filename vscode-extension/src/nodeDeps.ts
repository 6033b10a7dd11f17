// The Node side of the install machinery (processes, files, hashes, the lock):
// what `InstallerDeps` and `DiscoverInput` need besides the UI. No `vscode` import:
// the unit tests run these for real.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PROBE_SCRIPT, type PythonCommand } from './interpreter';
import { SERVER_DIST, parseWheelName, type BundledWheel, type RunResult } from './managed';

/** Where the VSIX carries the server's wheel. */
export const BUNDLED_DIR = 'bundled';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The gomod-doctor wheel in `<extensionDir>/bundled/` (exactly one), or undefined. */
export async function findBundledWheel(extensionDir: string): Promise<BundledWheel | undefined> {
  const dir = path.join(extensionDir, BUNDLED_DIR);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const wheels = names
    .map((n) => ({ n, w: parseWheelName(n) }))
    .filter((x) => x.w?.dist.toLowerCase().replace(/[-.]/g, '_') === SERVER_DIST);
  if (wheels.length !== 1 || !wheels[0]?.w) return undefined;
  const file = path.join(dir, wheels[0].n);
  return { file, version: wheels[0].w.version, sha256: await sha256File(file) };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv | undefined;
  /** Killed after this many milliseconds (default: none). */
  timeoutMs?: number | undefined;
}

/** Runs a process without a shell; every output line (stdout and stderr) to `onLine`. */
export function runProcess(
  command: string,
  args: string[],
  onLine: (line: string) => void,
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise<RunResult>((resolve) => {
    let settled = false;
    const done = (r: RunResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      resolve({ code: null, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill();
            done({ code: null, error: `no answer in ${options.timeoutMs} ms` });
          }, options.timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split(/\r?\n|\r/);
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLine(line);
      });
      stream?.on('end', () => {
        if (rest.trim()) onLine(rest);
        rest = '';
      });
    }
    child.on('error', (e) => done({ code: null, error: e.message }));
    child.on('close', (code) => done({ code }));
  });
}

/** Runs PROBE_SCRIPT with a candidate Python (10 s at most). */
export async function probePython(
  cmd: PythonCommand,
  env?: NodeJS.ProcessEnv,
): Promise<{ ok: true; stdout: string } | { ok: false; error: string }> {
  const out: string[] = [];
  const r = await runProcess(cmd.command, [...cmd.args, '-I', '-c', PROBE_SCRIPT], (l) => out.push(l), {
    env,
    timeoutMs: 10_000,
  });
  if (r.code === 0) return { ok: true, stdout: out.join('\n') };
  const tail = out.slice(-2).join(' ').slice(0, 200);
  return { ok: false, error: r.error ?? `exit status ${r.code}${tail ? `: ${tail}` : ''}` };
}

/** A lock held by whoever created `dir` first; one older than `staleMs` is taken over. */
export function dirLock(dir: string, staleMs = 15 * 60_000): () => Promise<(() => Promise<void>) | undefined> {
  return async () => {
    try {
      await fs.mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await fs.stat(dir).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs < staleMs) return undefined;
      // a window that died while installing: its lock is stale
      await fs.rm(dir, { recursive: true, force: true });
      try {
        await fs.mkdir(dir);
      } catch {
        return undefined;
      }
    }
    return async () => {
      await fs.rm(dir, { recursive: true, force: true });
    };
  };
}

export async function readTextFile(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes `file` whole or not at all (a temp file renamed over it). */
export async function writeTextFile(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, 'utf8');
  await fs.rename(tmp, file);
}

export async function removeTree(target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true });
}

export async function mkdirs(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
}
