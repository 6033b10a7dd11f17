// A stand-in for the `vscode` module, so that the modules that use a little of
// VS Code's API (python.ts, config.ts) run under plain Node. Import this file
// before them: it puts the mock where `require('vscode')` finds it.

import Module = require('node:module');

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0] ?? 'file', s.replace(/^file:\/\//, ''));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export interface FakeExtension {
  isActive: boolean;
  exports: unknown;
  activate(): Promise<unknown>;
}

/** The mock's state: tests set these. */
export const state = {
  /** `gomodDoctor.<key>` -> value, per scope ('' for the window). */
  config: new Map<string, Record<string, unknown>>(),
  isTrusted: true,
  workspaceFolders: [] as { uri: Uri; name: string; index: number }[],
  extensions: new Map<string, FakeExtension>(),
  /** What getConfiguration was called with. */
  configCalls: [] as { section: string | undefined; scope: unknown }[],
  activations: 0,
};

export function reset(): void {
  state.config.clear();
  state.isTrusted = true;
  state.workspaceFolders = [];
  state.extensions.clear();
  state.configCalls = [];
  state.activations = 0;
}

/** A fake installed extension whose `activate()` returns `api`. */
export function installExtension(id: string, api: unknown, active = false): FakeExtension {
  const ext: FakeExtension = {
    isActive: active,
    exports: active ? api : undefined,
    activate: async () => {
      state.activations++;
      ext.isActive = true;
      ext.exports = api;
      return api;
    },
  };
  state.extensions.set(id, ext);
  return ext;
}

const vscodeMock = {
  Uri,
  workspace: {
    getConfiguration(section?: string, scope?: unknown) {
      state.configCalls.push({ section, scope });
      const key = scope instanceof Uri ? scope.toString() : '';
      const values = { ...(state.config.get('') ?? {}), ...(key ? state.config.get(key) ?? {} : {}) };
      return {
        get<T>(k: string, dflt?: T): T | undefined {
          return (k in values ? (values[k] as T) : dflt) as T | undefined;
        },
        has: (k: string) => k in values,
      };
    },
    get isTrusted() {
      return state.isTrusted;
    },
    get workspaceFolders() {
      return state.workspaceFolders.length > 0 ? state.workspaceFolders : undefined;
    },
  },
  extensions: {
    getExtension(id: string) {
      return state.extensions.get(id);
    },
  },
};

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const M = Module as unknown as { _resolveFilename: ResolveFilename; _cache: Record<string, unknown> };
const original = M._resolveFilename;
M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (request === 'vscode') return 'vscode';
  return original.call(this, request, ...rest);
};
require.cache['vscode'] = {
  id: 'vscode',
  filename: 'vscode',
  loaded: true,
  exports: vscodeMock,
} as unknown as NodeJS.Module;
