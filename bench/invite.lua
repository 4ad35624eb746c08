-- wrk script: POST /api/orgs/:orgId/invitations/email with a unique e-mail per request.
-- env: TENANTRY_TOKEN, TENANTRY_ORG (set by bench/lib.sh's seed_org).
local token = os.getenv("TENANTRY_TOKEN")
local org = os.getenv("TENANTRY_ORG")
local threads = {}
local counter = 0
local run = os.time()

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. token

function request()
  counter = counter + 1
  local body = string.format('{"email":"load-%d-%d-%d@example.com","role":"member"}', run, tid, counter)
  return wrk.format(nil, "/api/orgs/" .. org .. "/invitations/email", nil, body)
end

local shown = 0
function response(status, headers, body)
  if status ~= 201 and shown < 3 then
    shown = shown + 1
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end
