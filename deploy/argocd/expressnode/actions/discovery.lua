-- Argo CD resource actions on an Express resource (the sample CRD: express.dev/ExpressNode).
-- Runs in Argo CD's Lua 5.1 with the base, table and a restricted os library (no string library).
--   bounce: creates a NodeBounce for the ExpressNode's pod; the operator then bounces it once, with all its checks.
-- Disabled while spec.state is "down" or "stopped" (the operator's default express.desiredState.downValues): the
-- operator would refuse the bounce anyway (IntentionallyDown). The `reason` parameter is asked for in the UI.
local actions = {}
local down = false
if obj.spec ~= nil and (obj.spec.state == "down" or obj.spec.state == "stopped") then
  down = true
end
actions["bounce"] = {
  ["disabled"] = down,
  ["iconClass"] = "fa fa-fw fa-redo",
  ["displayName"] = "Bounce (NodeBounce)",
  ["params"] = { { ["name"] = "reason" } },
}
return actions
