-- :checkhealth gomod_doctor
--
-- What the gomod_doctor language server needs, and whether it runs: the server
-- executable and its version, the go binary and its version, the module cache
-- (GOMODCACHE) and whether it is writable, the network setting, and whether a
-- gomod_doctor client is attached to the buffer :checkhealth was run from.
-- Each item is reported as ok, warn or error, with advice.
local M = {}

local NAME = 'gomod_doctor'
local TIMEOUT_MS = 10000
local FILETYPES = { gomod = true, gosum = true, gowork = true }
local INSTALL = 'Install the server: `pipx install gomod-doctor` (or `pip install gomod-doctor`)'

local health = vim.health

--- Runs cmd; returns its stdout, or nil and why it failed.
--- @param cmd string[]
--- @param env table<string,string>|nil
--- @return string|nil, string|nil
local function run(cmd, env)
  local ok, proc = pcall(vim.system, cmd, { text = true, env = env })
  if not ok then
    return nil, tostring(proc)
  end
  local r = proc:wait(TIMEOUT_MS)
  if r.code ~= 0 or r.signal ~= 0 then
    local why = vim.trim((r.stderr or '') .. '\n' .. (r.stdout or ''))
    if r.signal ~= 0 then
      why = ('killed by signal %d after %d ms %s'):format(r.signal, TIMEOUT_MS, why)
    end
    return nil, ('`%s` exited %d: %s'):format(table.concat(cmd, ' '), r.code, why)
  end
  return r.stdout or '', nil
end

--- The buffer :checkhealth was run from (the health buffer is current while it runs).
--- @return integer|nil
local function user_buffer()
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].filetype ~= 'checkhealth' and vim.api.nvim_buf_get_name(buf) ~= 'health://' then
    return buf
  end
  local alt = vim.fn.bufnr('#')
  if alt > 0 and vim.api.nvim_buf_is_valid(alt) then
    return alt
  end
  local win = vim.fn.win_getid(vim.fn.winnr('#'))
  if win ~= 0 then
    return vim.api.nvim_win_get_buf(win)
  end
  return nil
end

--- The config the client runs with, else the one vim.lsp.enable would start.
--- @param client vim.lsp.Client|nil
--- @return table|nil
local function resolved_config(client)
  if client then
    return client.config
  end
  local ok, cfg = pcall(function()
    return vim.lsp.config[NAME]
  end)
  return ok and cfg or nil
end

local function is_enabled()
  if vim.lsp.is_enabled then
    return vim.lsp.is_enabled(NAME)
  end
  return (vim.lsp._enabled_configs or {})[NAME] ~= nil
end

--- The command that prints the server's version: cmd with `serve` (and what follows)
--- replaced by `--version`.
--- @param cmd string[]
--- @return string[]
local function version_cmd(cmd)
  local out = {}
  for _, arg in ipairs(cmd) do
    if arg == 'serve' then
      break
    end
    out[#out + 1] = arg
  end
  out[#out + 1] = '--version'
  return out
end

--- Runs cmd (a version query) and reports ok (fmt of the version and the executable),
--- or an error with advice when it does not run or says no version.
--- @return string|nil the version
local function report_version(cmd, env, pattern, fmt, advice)
  local out, err = run(cmd, env)
  local version = out and out:match(pattern)
  if not version then
    health.error(('%s does not run: %s'):format(cmd[1], err or vim.trim(out or '')), advice)
    return nil
  end
  health.ok(fmt:format(version, cmd[1]))
  return version
end

local function check_neovim()
  health.start('Neovim')
  local v = vim.version()
  local text = ('Neovim %d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok(text)
  else
    health.error(text .. ': gomod_doctor needs Neovim 0.11 or later (vim.lsp.config)', {
      'Upgrade Neovim, or use nvim-lspconfig with the setup in the README',
    })
  end
end

--- @param cfg table|nil
local function check_config(cfg)
  health.start('Configuration')
  if not cfg then
    health.error('no `gomod_doctor` LSP config found', {
      "Put gomod-doctor's editors/neovim folder on 'runtimepath', or copy "
        .. 'lsp/gomod_doctor.lua to ~/.config/nvim/lsp/',
      "Or define it: vim.lsp.config('gomod_doctor', { cmd = { 'gomod-doctor', 'serve' }, ... })",
    })
    return
  end
  if is_enabled() then
    health.ok('`gomod_doctor` is configured and enabled')
  else
    health.warn('`gomod_doctor` is configured but not enabled', {
      "Add vim.lsp.enable('gomod_doctor') to your config",
    })
  end
end

--- @param cfg table|nil
--- @return string|nil the server's version
local function check_server(cfg)
  health.start('gomod-doctor server')
  local cmd = cfg and cfg.cmd
  if type(cmd) == 'function' then
    health.ok('cmd is a function (an RPC connection): not started from here')
    return nil
  end
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    health.error('the `gomod_doctor` config has no cmd', {
      "Set cmd = { 'gomod-doctor', 'serve' } in vim.lsp.config('gomod_doctor', ...)",
    })
    return nil
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    health.error(('`%s` (the server executable) is not found on PATH'):format(cmd[1]), {
      INSTALL,
      "Or point cmd at it: vim.lsp.config('gomod_doctor', { cmd = { '/path/to/gomod-doctor', 'serve' } })",
    })
    return nil
  end
  local vcmd = version_cmd(cmd)
  vcmd[1] = exe
  local version = report_version(vcmd, nil, '^gomod%-doctor (%S+)', 'gomod-doctor %s (%s)', {
    'Reinstall the server: `pipx reinstall gomod-doctor` (or `pip install --force-reinstall gomod-doctor`)',
  })
  return version
end

--- The environment go runs in for the server: Neovim's, with the `env` setting on top.
--- @param settings table
--- @return table<string,string>|nil
local function go_env_overrides(settings)
  if type(settings.env) ~= 'table' or next(settings.env) == nil then
    return nil
  end
  local env = {}
  for k, v in pairs(settings.env) do
    env[k] = tostring(v)
  end
  return env
end

--- @param settings table
--- @return string|nil go's path, when it runs
local function check_go(settings)
  health.start('go')
  local configured = type(settings.goBinary) == 'string' and settings.goBinary ~= ''
  local name = configured and vim.fs.normalize(settings.goBinary) or 'go'
  local exe = vim.fn.exepath(name)
  if exe == '' then
    if configured then
      health.error(('goBinary `%s` is not an executable'):format(settings.goBinary), {
        'Fix the goBinary setting, or remove it to use `go` from PATH',
      })
    else
      health.warn('no `go` on PATH: gomod-doctor still reads go.mod, go.sum and the module '
        .. 'cache, but cannot tell the go version, nor download modules for its fixes', {
        'Install Go (https://go.dev/dl/) and put it on PATH, or set goBinary in '
          .. 'settings.gomodDoctor',
      })
    end
    return nil
  end
  local version = report_version({ exe, 'version' }, go_env_overrides(settings), '^go version (%S+)', '%s (%s)', {
    'Check the Go installation (`go version` in a terminal)',
  })
  return version and exe or nil
end

--- What go would use as GOMODCACHE when it cannot be asked: $GOMODCACHE, else the
--- first GOPATH entry's pkg/mod, else $HOME/go/pkg/mod.
--- @param settings table
--- @return string value, string where it comes from
local function modcache_without_go(settings)
  local env = vim.tbl_extend('force', vim.fn.environ(), go_env_overrides(settings) or {})
  if env.GOMODCACHE and env.GOMODCACHE ~= '' then
    return env.GOMODCACHE, '$GOMODCACHE'
  end
  local gopath = env.GOPATH or ''
  if gopath ~= '' then
    return vim.split(gopath, ':', { plain = true })[1] .. '/pkg/mod', '$GOPATH/pkg/mod'
  end
  if env.HOME and env.HOME ~= '' then
    return env.HOME .. '/go/pkg/mod', "go's default, $HOME/go/pkg/mod"
  end
  return '', 'neither GOMODCACHE, GOPATH nor HOME is set'
end

--- @param settings table
--- @param go string|nil
local function check_modcache(settings, go)
  health.start('Module cache (GOMODCACHE)')
  local dir, source
  if go then
    local out, err = run({ go, 'env', 'GOMODCACHE' }, go_env_overrides(settings))
    if not out then
      health.error('`go env GOMODCACHE` failed: ' .. err, {
        'Fix the go environment (`go env` in a terminal shows what is wrong)',
      })
      return
    end
    dir, source = vim.trim(out), '`go env GOMODCACHE`'
  else
    dir, source = modcache_without_go(settings)
  end
  local set_it = source == '$GOMODCACHE'
      and 'Point $GOMODCACHE (set in the environment) at a writable directory'
    or 'Set it to a writable directory: `go env -w GOMODCACHE=/path/to/dir`'
  if dir == '' then
    health.error('there is no module cache: GOMODCACHE is empty (' .. source .. ')', { set_it })
    return
  end
  if dir:sub(1, 1) ~= '/' then
    health.error(('GOMODCACHE %s (%s) is a relative path: go refuses it'):format(dir, source), {
      set_it,
    })
    return
  end
  local stat = vim.uv.fs_stat(dir)
  if stat and stat.type ~= 'directory' then
    health.error(('GOMODCACHE %s (%s) is not a directory'):format(dir, source), { set_it })
    return
  end
  local probe, note = dir, ''
  if not stat then
    -- go creates it on its first download: its nearest existing parent must be writable
    local found
    repeat
      probe = vim.fs.dirname(probe)
      found = vim.uv.fs_stat(probe)
    until found or probe == '/'
    if found and found.type ~= 'directory' then
      health.error(
        ('GOMODCACHE %s (%s) cannot be created: %s is not a directory'):format(dir, source, probe),
        { set_it }
      )
      return
    end
    note = (' (it does not exist yet: go creates it in %s)'):format(probe)
  end
  if vim.uv.fs_access(probe, 'W') then
    health.ok(('GOMODCACHE %s is writable%s'):format(dir, note))
  else
    health.error(
      ('GOMODCACHE %s (%s) is not writable%s: downloads and the Redownload/Clear fixes fail'):format(
        dir,
        source,
        note
      ),
      { 'Make it writable for your user', set_it }
    )
  end
end

--- @param settings table
local function check_network(settings)
  health.start('Network')
  local network = settings.network
  if network == nil or network == 'auto' then
    health.ok('network: auto (the default): GOPROXY entries are probed and go.sum lines '
      .. 'verified against the checksum database, as the go command would')
  elseif network == 'off' then
    health.ok('network: off: nothing is asked of a proxy or the checksum database '
      .. '(no proxy or checksum database findings)')
  else
    health.error(('network: %s is not a valid value'):format(vim.inspect(network)), {
      "Set settings.gomodDoctor.network to 'auto' or 'off'",
    })
  end
  if settings.trusted == false then
    health.warn('trusted: false: the server runs no go command and touches no network', {
      'Remove trusted = false for this workspace to get every finding and the fixes',
    })
  end
end

--- @param buf integer|nil
--- @param server_version string|nil
local function check_client(buf, server_version)
  health.start('Current buffer')
  if not buf then
    health.warn('no buffer to look at', { 'Open a go.mod, then run :checkhealth gomod_doctor' })
    return
  end
  local name = vim.api.nvim_buf_get_name(buf)
  local shown = name ~= '' and vim.fn.fnamemodify(name, ':~:.') or ('buffer ' .. buf)
  local clients = vim.lsp.get_clients({ name = NAME, bufnr = buf })
  local client = clients[1]
  if client then
    local running = vim.tbl_get(client, 'server_info', 'version') or '?'
    local text = ('client %d is attached to %s (server %s, root %s)'):format(
      client.id,
      shown,
      running,
      client.root_dir or '(none)'
    )
    if server_version and running ~= '?' and running ~= server_version then
      health.warn(text .. (': the executable on PATH is now %s'):format(server_version), {
        'Restart the server to run the installed version (or restart Neovim)',
      })
    else
      health.ok(text)
    end
    return
  end
  local ft = vim.bo[buf].filetype
  if FILETYPES[ft] then
    health.error(('no gomod_doctor client is attached to %s (filetype %s)'):format(shown, ft), {
      'See the errors above; the LSP log (' .. vim.lsp.get_log_path() .. ') says why a start failed',
      "Check that vim.lsp.enable('gomod_doctor') runs in your config",
    })
  else
    health.warn(
      ('%s is not a go.mod, go.sum or go.work (filetype %s): no client to look for'):format(
        shown,
        ft ~= '' and ft or 'none'
      ),
      { 'Open a go.mod, then run :checkhealth gomod_doctor' }
    )
  end
end

function M.check()
  local buf = user_buffer()
  local client = buf and vim.lsp.get_clients({ name = NAME, bufnr = buf })[1] or nil
  local cfg = resolved_config(client)
  local settings = vim.tbl_get(cfg or {}, 'settings', 'gomodDoctor') or {}
  check_neovim()
  check_config(cfg)
  local version = check_server(cfg)
  local go = check_go(settings)
  check_modcache(settings, go)
  check_network(settings)
  check_client(buf, version)
end

return M
