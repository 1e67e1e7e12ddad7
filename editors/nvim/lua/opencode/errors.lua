-- Error lines for the chat and notifications: which endpoint failed, when the provider did.
local M = {}

--- An error message that says which endpoint failed when it does not already.
function M.text(message, provider_id)
  message = tostring(message or '')
  if message:find('https?://') then
    return message
  end
  local providers = require('opencode.config').get().providers or {}
  local settings = provider_id and providers[provider_id] or nil
  if settings == nil then
    -- One configured provider: that is the endpoint the run used.
    local only = nil
    for _, value in pairs(providers) do
      if only ~= nil then
        only = false
        break
      end
      only = value
    end
    settings = only or nil
  end
  if type(settings) == 'table' and type(settings.apiBase) == 'string' then
    return ('%s (endpoint %s)'):format(message, settings.apiBase)
  end
  return message
end

--- "**error** Name: message (endpoint ...)" for a message or session error.
function M.line(err, provider_id)
  local data = type(err.data) == 'table' and err.data or {}
  provider_id = provider_id or data.providerID
  local message = tostring(data.message or '')
  if err.name == 'APIError' then
    -- Only errors from the provider's endpoint name it (a local failure is not about it).
    message = M.text(message, provider_id)
  end
  return ('**error** %s: %s'):format(tostring(err.name), message)
end

return M
