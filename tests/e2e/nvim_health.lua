-- The scenario of tests/e2e/test_neovim_health.py, run by the real Neovim (see nvim_init.lua):
-- open params.file, wait until a gomod_doctor client is attached and initialized
-- (when params.wait_attach), run :checkhealth gomod_doctor as a user would, and write
-- the report's lines to params.results (JSON). It exits 0 when it got a report,
-- non-zero otherwise (a global timeout makes sure it never hangs).

local f = assert(io.open(vim.env.GOMOD_DOCTOR_NVIM_PARAMS, 'r'))
local P = vim.json.decode(f:read('*a'))
f:close()

local function finish(results, code)
  local ok, messages = pcall(vim.api.nvim_exec2, 'messages', { output = true })
  results.messages = ok and messages.output or nil
  local out = assert(io.open(P.results, 'w'))
  out:write(vim.json.encode(results))
  out:close()
  vim.cmd(code == 0 and 'qall!' or ('cquit ' .. code))
end

vim.defer_fn(function()
  finish({ error = 'global timeout' }, 3)
end, P.timeout_ms)

local ok, err = pcall(function()
  vim.cmd.edit(vim.fn.fnameescape(P.file))
  local buf = vim.api.nvim_get_current_buf()
  local attached = false
  if P.wait_attach then
    attached = vim.wait(P.attach_timeout_ms, function()
      local c = vim.lsp.get_clients({ name = 'gomod_doctor', bufnr = buf })[1]
      return c ~= nil and c.initialized == true and c.server_info ~= nil
    end, 50)
  end
  vim.cmd('checkhealth gomod_doctor')
  finish({
    filetype = vim.bo[buf].filetype,
    attached = attached,
    lines = vim.api.nvim_buf_get_lines(0, 0, -1, false),
  }, 0)
end)
if not ok then
  finish({ error = tostring(err) }, 2)
end
