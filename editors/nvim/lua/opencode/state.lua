-- What the user has chosen in this Neovim: the current session, agent and model.
local M = {
  -- The session the chat shows and :OpenCode ask prompts.
  session_id = nil,
  -- The agent for the next prompts (nil: the session's or the server's default).
  agent = nil,
  -- The model for the next prompts, `{providerID, modelID}` (nil: the server's default).
  model = nil,
}

--- "provider/model" -> {providerID, modelID}; nil when the text has no provider part.
function M.parse_model(text)
  if type(text) ~= 'string' then
    return nil
  end
  local provider, model = text:match('^([^/]+)/(.+)$')
  if not provider then
    return nil
  end
  return { providerID = provider, modelID = model }
end

return M
