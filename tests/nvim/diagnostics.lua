-- Opens $GANC_FILE in headless Neovim with editors/nvim/ganc.lua, waits for the diagnostics of
-- `ganc lsp`, and writes them to $GANC_OUT as `CODE@LINE` lines (what the Rust test compares with
-- `ganc check`). Run: GANC=... GANC_FILE=... GANC_OUT=... nvim --headless -u NONE -c 'luafile tests/nvim/diagnostics.lua'
vim.g.ganc_cmd = os.getenv("GANC")
dofile(os.getenv("GANC_NVIM_CONFIG"))
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("GANC_FILE")))
local expected = tonumber(os.getenv("GANC_EXPECT") or "1")
vim.wait(15000, function() return #vim.diagnostic.get(0) >= expected end, 20)
local out = io.open(os.getenv("GANC_OUT"), "w")
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  out:write(code .. "@" .. (d.lnum + 1) .. "\n")
end
out:close()
vim.cmd("qa!")
