-- The scenario of tests/e2e/test_neovim.py, run by the real Neovim (see nvim_init.lua).
--
-- It drives Neovim's own LSP client as a user would: open go.mod, wait for the
-- diagnostics, ask for the code actions on the require line and run "Redownload";
-- then break the cache again on disk behind Neovim's back (the server's own file
-- watching must notice: Neovim 0.11 does not watch files for servers on Linux) and
-- fix it through vim.lsp.buf.code_action; then edit the buffer on a line with
-- non-ASCII text (utf-8 positions); then open go.sum. Every wait is on a
-- condition, with a timeout.
--
-- It writes what it saw to params.results (JSON) and exits 0 when every step
-- passed; on any failure it writes the error and exits with a non-zero code
-- (a global timeout makes sure it never hangs).

local f = assert(io.open(vim.env.GOMOD_DOCTOR_NVIM_PARAMS, 'r'))
local P = vim.json.decode(f:read('*a'))
f:close()

local t0 = vim.uv.hrtime()
local function now_ms()
  return math.floor((vim.uv.hrtime() - t0) / 1e6)
end

local results = {
  nvim_version = tostring(vim.version()),
  steps = {}, -- { name, at_ms, ... } in order
  progress = {}, -- titles of the work-done progress that began
  shown = {}, -- window/showMessage (type, message)
}

local function write_results()
  local ok, messages = pcall(vim.api.nvim_exec2, 'messages', { output = true })
  results.messages = ok and messages.output or nil
  local out = assert(io.open(P.results, 'w'))
  out:write(vim.json.encode(results))
  out:close()
end

local finished = false
local function finish(code, err)
  if finished then
    return
  end
  finished = true
  results.error = err
  results.ok = code == 0
  results.total_ms = now_ms()
  pcall(write_results)
  if code == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit ' .. code)
  end
end

vim.defer_fn(function()
  finish(3, ('global timeout: %d ms'):format(P.timeout_ms))
end, P.timeout_ms)

local function step(name, data)
  data = data or {}
  data.name = name
  data.at_ms = now_ms()
  table.insert(results.steps, data)
  return data
end

local function wait_for(what, timeout_ms, cond)
  local start = now_ms()
  if not vim.wait(timeout_ms, cond, 20) then
    error(('timed out after %d ms waiting for %s'):format(timeout_ms, what), 0)
  end
  return now_ms() - start
end

local function check(cond, msg)
  if not cond then
    error(msg, 0)
  end
end

local working = {} -- tokens of the work-done progress under way
vim.api.nvim_create_autocmd('LspProgress', {
  callback = function(ev)
    local params = ev.data and ev.data.params or {}
    local value = params.value
    if type(value) ~= 'table' then
      return
    end
    if value.kind == 'begin' then
      table.insert(results.progress, value.title)
      working[params.token] = true
    elseif value.kind == 'end' then
      working[params.token] = nil
    end
  end,
})

local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx)
  table.insert(results.shown, { type = params.type, message = params.message })
  return show_message(err, params, ctx)
end

--- The buffer's diagnostics, as plain data.
local function diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      code = d.code,
      severity = d.severity,
      source = d.source,
      message = d.message,
    })
  end
  table.sort(out, function(a, b)
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return tostring(a.code) < tostring(b.code)
  end)
  return out
end

local function with_code(bufnr, code)
  return vim.tbl_filter(function(d)
    return d.code == code
  end, diagnostics(bufnr))
end

--- The code actions the server offers at the start of ``lnum`` (0-based), with
--- the line's diagnostics in the context, as Neovim's vim.lsp.buf.code_action asks.
local function code_actions(bufnr, client, lnum)
  local pos = { line = lnum, character = 0 }
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = pos, ['end'] = pos },
    context = {
      diagnostics = vim.lsp.diagnostic.from(vim.diagnostic.get(bufnr, { lnum = lnum })),
      only = { 'quickfix' },
      triggerKind = vim.lsp.protocol.CodeActionTriggerKind.Invoked,
    },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000)
  check(responses and responses[client.id], 'no answer to textDocument/codeAction')
  local resp = responses[client.id]
  check(resp.err == nil, 'textDocument/codeAction failed: ' .. vim.inspect(resp.err))
  return resp.result or {}
end

local function titles(actions)
  return vim.tbl_map(function(a)
    return a.title
  end, actions)
end

local function main()
  -- 1. open go.mod: the config starts the server (filetype gomod, root go.mod)
  vim.cmd.edit(vim.fn.fnameescape(P.gomod))
  local bufnr = vim.api.nvim_get_current_buf()
  step('opened', { filetype = vim.bo[bufnr].filetype })
  local client
  wait_for('the gomod_doctor client to initialize', 15000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'gomod_doctor' })[1]
    return client ~= nil and client.initialized == true
  end)
  local caps = client.capabilities.workspace or {}
  local watched = caps.didChangeWatchedFiles or {}
  step('initialized', {
    offset_encoding = client.offset_encoding,
    root_dir = client.root_dir,
    cmd = client.config.cmd,
    filetypes = client.config.filetypes,
    workspace_folders = client.workspace_folders,
    watch_dynamic_registration = watched.dynamicRegistration == true,
    position_encoding = client.server_capabilities.positionEncoding,
    commands = (client.server_capabilities.executeCommandProvider or {}).commands,
    settings = client.settings,
    -- the root Neovim picks for a module inside a go.work folder (not started)
    work_root = vim.fs.root(P.work_module_gomod, vim.lsp.config.gomod_doctor.root_markers),
  })
  local alpha = P.alpha_line

  -- 2. the broken cache shows on the require line
  local waited = wait_for('cache-modified on go.mod', P.diag_timeout_ms, function()
    return #with_code(bufnr, 'cache-modified') > 0
  end)
  step('diagnosed', { waited_ms = waited, diagnostics = diagnostics(bufnr) })

  -- 3. the quick fixes there; run "Redownload" through the client (executeCommand)
  local actions = code_actions(bufnr, client, alpha)
  local redownload
  for _, a in ipairs(actions) do
    if a.title == P.redownload_title then
      redownload = a
    end
  end
  step('actions', { titles = titles(actions), redownload = redownload })
  check(redownload and redownload.command, 'no "' .. P.redownload_title .. '" command action')
  local exec
  client:exec_cmd(redownload.command, { bufnr = bufnr }, function(err, result)
    exec = { err = err, result = result }
  end)
  local ran = wait_for('workspace/executeCommand to answer', P.fix_timeout_ms, function()
    return exec ~= nil
  end)
  check(exec.err == nil, 'the redownload failed: ' .. vim.inspect(exec.err))
  waited = wait_for('cache-modified to go', P.diag_timeout_ms, function()
    return #with_code(bufnr, 'cache-modified') == 0
  end)
  step('redownloaded', {
    command_ms = ran,
    waited_ms = waited,
    result = exec.result,
    diagnostics = diagnostics(bufnr),
  })
  -- the clean state, once the new copy is verified (quick, then full)
  wait_for('no diagnostics and no work under way', P.diag_timeout_ms, function()
    return #diagnostics(bufnr) == 0 and next(working) == nil
  end)

  -- 4. watching: edit a file of the new extracted copy on disk, outside Neovim
  -- (nothing else would look at it again: only the server's own watching)
  local file = P.watch_file
  local dir = vim.fs.dirname(file)
  assert(vim.uv.fs_chmod(dir, 493)) -- 0755 (go makes the copy read-only)
  assert(vim.uv.fs_chmod(file, 420)) -- 0644
  local out = assert(io.open(file, 'w'))
  out:write(P.watch_text)
  out:close()
  waited = wait_for('cache-modified after editing the cache on disk', P.watch_timeout_ms, function()
    return #with_code(bufnr, 'cache-modified') > 0
  end)
  step('watched', { waited_ms = waited, diagnostics = diagnostics(bufnr) })

  -- ... and fixed again as a user does: the cursor on the line, the code action
  -- menu filtered down to "Redownload", applied by Neovim (vim.lsp.buf.code_action)
  vim.api.nvim_win_set_cursor(0, { alpha + 1, 0 })
  vim.lsp.buf.code_action({
    context = { only = { 'quickfix' } },
    filter = function(a)
      return a.title == P.redownload_title
    end,
    apply = true,
  })
  waited = wait_for('cache-modified to go after the code action', P.fix_timeout_ms, function()
    return #with_code(bufnr, 'cache-modified') == 0
  end)
  wait_for('no diagnostics', P.diag_timeout_ms, function()
    return #diagnostics(bufnr) == 0
  end)
  step('fixed', { waited_ms = waited })

  -- 5. utf-8 positions: a broken line after non-ASCII text, typed into the buffer
  -- (Neovim sends incremental changes, in utf-8), then an edit inside that line
  local last = vim.api.nvim_buf_line_count(bufnr)
  vim.api.nvim_buf_set_lines(bufnr, last, last, false, { P.utf8_line })
  wait_for('a parse-error on the non-ASCII line', P.diag_timeout_ms, function()
    return #with_code(bufnr, 'parse-error') > 0
  end)
  local d = with_code(bufnr, 'parse-error')[1]
  step('utf8_typed', { lnum = last, diagnostics = diagnostics(bufnr) })
  -- the broken token, at the byte columns Neovim got, replaced by another one
  vim.api.nvim_buf_set_text(bufnr, d.lnum, d.col, d.end_lnum, d.end_col, { P.utf8_replacement })
  wait_for('the parse-error to follow the edit', P.diag_timeout_ms, function()
    local now = with_code(bufnr, 'parse-error')[1]
    return now ~= nil and now.end_col ~= d.end_col
  end)
  step('utf8_edited', {
    line = vim.api.nvim_buf_get_lines(bufnr, d.lnum, d.lnum + 1, true)[1],
    diagnostics = diagnostics(bufnr),
  })
  vim.api.nvim_buf_set_lines(bufnr, last, last + 1, false, {})
  wait_for('no diagnostics after removing the line', P.diag_timeout_ms, function()
    return #diagnostics(bufnr) == 0
  end)
  step('utf8_removed', {
    same_text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n') .. '\n'
      == P.gomod_text,
  })

  -- 6. go.sum: filetype gosum, served by the same client (same root)
  vim.cmd.edit(vim.fn.fnameescape(P.gosum))
  local sumbuf = vim.api.nvim_get_current_buf()
  local sumclient
  wait_for('the client to attach to go.sum', 10000, function()
    sumclient = vim.lsp.get_clients({ bufnr = sumbuf, name = 'gomod_doctor' })[1]
    return sumclient ~= nil
  end)
  step('gosum', {
    filetype = vim.bo[sumbuf].filetype,
    same_client = sumclient.id == client.id,
    clients = #vim.lsp.get_clients({ name = 'gomod_doctor' }),
  })
end

local ok, err = xpcall(main, debug.traceback)
if ok then
  finish(0)
else
  finish(1, tostring(err))
end
