---@brief
---
--- gomod-doctor: finds and fixes Go module problems (module cache, go.sum,
--- replace directives, GOPROXY) from go.mod, go.work and go.sum.
---
--- Install the server (`pipx install .` from a clone: `gomod-doctor` must be on PATH),
--- put this folder (`editors/neovim`) on the 'runtimepath' or copy this file to
--- `~/.config/nvim/lsp/gomod_doctor.lua`, then:
---
--- ```lua
--- vim.lsp.enable('gomod_doctor')
--- ```
---
--- Settings (all optional) go under the `gomodDoctor` section. The default `verify`
--- is 'full': quick results first, then the modules the build needs are rehashed in
--- the background at low CPU priority (memoized). To keep to the quick stat checks
--- (which cannot see a file edited inside the module cache):
---
--- ```lua
--- vim.lsp.config('gomod_doctor', {
---   settings = { gomodDoctor = { verify = 'quick' } },
--- })
--- ```
---
--- Neovim (0.11) detects go.mod as `gomod`, go.work as `gowork`, and go.sum and
--- go.work.sum as `gosum`. It does not watch files for servers on Linux: the
--- server then watches go.mod, go.sum and the module cache itself.

---@type vim.lsp.Config
return {
  cmd = { 'gomod-doctor', 'serve' },
  filetypes = { 'gomod', 'gowork', 'gosum' },
  -- In this order (Neovim 0.11.2+): a go.work above the module wins over its go.mod.
  root_markers = { 'go.work', 'go.mod', '.git' },
}
