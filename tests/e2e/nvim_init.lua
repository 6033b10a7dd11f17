-- The Neovim config of tests/e2e/test_neovim.py: what a user writes (the folder on the
-- runtimepath, settings through vim.lsp.config, vim.lsp.enable), then the scenario
-- (nvim_scenario.lua) once Neovim has started. Run as
--   nvim --headless --clean -u tests/e2e/nvim_init.lua
-- with $GOMOD_DOCTOR_NVIM_PARAMS naming the test's JSON parameters.
local f = assert(io.open(assert(vim.env.GOMOD_DOCTOR_NVIM_PARAMS, 'no parameters'), 'r'))
local params = vim.json.decode(f:read('*a'))
f:close()

vim.opt.rtp:prepend(params.editors)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.lsp.log.set_level('debug')

vim.lsp.config('gomod_doctor', {
  settings = { gomodDoctor = params.settings },
})
vim.lsp.enable('gomod_doctor')

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(function()
      dofile(params.scenario)
    end)
  end,
})
