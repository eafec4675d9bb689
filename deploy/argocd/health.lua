-- Argo CD health check for bounce.express.dev/NodeBounce.
-- Runs in Argo CD's gopher-lua (Lua 5.1) with only the base and table libraries (no string library), so it
-- uses nothing but comparisons and `..`.
--   Progressing: no status yet, the operator has not observed the latest generation, or the bounce is still
--                running (Pending, Terminating, Starting)
--   Healthy:     Succeeded (the pod was restarted, or a dry run passed)
--   Degraded:    Failed (status.message says why; status.reason is the machine-readable cause)
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the nodebounce-operator to pick up the bounce"
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
  if status.message ~= nil and status.message ~= "" then
    return status.message
  end
  if status.reason ~= nil and status.reason ~= "" then
    return status.reason
  end
  return default
end

if status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = describe("Bounce succeeded")
  return hs
end

if status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = describe("Bounce failed")
  return hs
end

-- Pending, Terminating, Starting (and any phase a newer operator may add): still running.
hs.status = "Progressing"
hs.message = status.phase .. ": " .. describe("in progress")
return hs
