-- wrk script for bench/soak.sh: a fixed rate of mixed traffic on one org, each answer counted
-- by status. env: TENANTRY_TOKEN, TENANTRY_ORG, SOAK_DELAY_MS (between one connection's requests).
local token = os.getenv("TENANTRY_TOKEN")
local org = os.getenv("TENANTRY_ORG")
local pause = tonumber(os.getenv("SOAK_DELAY_MS"))
local threads = {}
local counter = 0
local run = os.time()

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init()
  statuses = {}
end

wrk.headers["authorization"] = "Bearer " .. token
wrk.headers["content-type"] = "application/json"

-- Out of ten: four member pages, two org reads, two invitations, one audit page, one session.
local mix = { "members", "members", "members", "members", "org", "org", "invite", "invite",
              "audit", "session" }

function request()
  counter = counter + 1
  local kind = mix[counter % #mix + 1]
  local base = "/api/orgs/" .. org
  if kind == "members" then
    return wrk.format("GET", base .. "/members?limit=50")
  elseif kind == "org" then
    return wrk.format("GET", base)
  elseif kind == "invite" then
    local body = string.format('{"email":"soak-%d-%d-%d@example.com","role":"member"}', run, tid, counter)
    return wrk.format("POST", base .. "/invitations/email", nil, body)
  elseif kind == "audit" then
    return wrk.format("GET", base .. "/audit-logs?limit=50")
  else
    return wrk.format("GET", "/api/auth/session")
  end
end

function delay()
  return pause
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done()
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
end
