-- Argo CD health check for bounce.express.dev/RollingBounce.
-- Runs in Argo CD's gopher-lua (Lua 5.1) with only the base and table libraries (no string library), so it
-- uses nothing but comparisons and `..`.
--   Progressing: no status yet, the operator has not observed the latest generation, or the rollout is running
--                or waiting (Pending, Progressing, WaitingForWindow, WaitingForHealth)
--   Suspended:   Paused (spec.paused: true; in-flight members finish, no new one starts)
--   Healthy:     Succeeded (every member bounced or skipped, a dry-run plan written, or failures within maxFailures)
--   Degraded:    Failed (status.message names the failed member and why)
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the nodebounce-operator to pick up the rollout"
  return hs
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the nodebounce-operator to observe generation " .. generation
  return hs
end

local function describe(default)
  local text = default
  if status.message ~= nil and status.message ~= "" then
    text = status.message
  elseif status.reason ~= nil and status.reason ~= "" then
    text = status.reason
  end
  if status.progress ~= nil and status.progress ~= "" then
    return status.progress .. " members: " .. text
  end
  return text
end

if status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = describe("Rollout succeeded")
  return hs
end

if status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = describe("Rollout failed")
  return hs
end

if status.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = describe("Paused")
  return hs
end

-- Pending, Progressing, WaitingForWindow, WaitingForHealth (and any phase a newer operator may add).
hs.status = "Progressing"
hs.message = status.phase .. ": " .. describe("in progress")
return hs
