-- ganc for Neovim (0.7 or newer): `*.gan` files get the `gan` filetype, `//` comments, and the
-- `ganc lsp` language server (diagnostics as you type, hover, completion, go to definition,
-- outline, formatting with `vim.lsp.buf.formatting()`, quick fixes with `vim.lsp.buf.code_action()`).
--
-- Use: copy this file to ~/.config/nvim/plugin/ganc.lua, or `dofile` it from init.lua.
-- `ganc` must be on PATH, or set `vim.g.ganc_cmd` to its path first.

vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.gan",
  callback = function() vim.bo.filetype = "gan" end,
})

local client_id = nil

vim.api.nvim_create_autocmd("FileType", {
  pattern = "gan",
  callback = function(args)
    vim.bo[args.buf].commentstring = "// %s"
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client({
        name = "ganc",
        cmd = { vim.g.ganc_cmd or "ganc", "lsp" },
        root_dir = vim.fn.getcwd(),
      })
    end
    if client_id then
      vim.lsp.buf_attach_client(args.buf, client_id)
    end
  end,
})
