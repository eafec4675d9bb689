-- Argo CD resource actions on a RollingBounce: pause and resume (spec.paused, one of the two mutable spec fields).
-- Pausing lets in-flight members finish and starts no new one; resuming continues where it stopped.
-- Both are disabled once the rollout has finished (Succeeded, Failed): nothing is left to pause.
local actions = {}
local paused = obj.spec ~= nil and obj.spec.paused == true
local finished = false
if obj.status ~= nil and (obj.status.phase == "Succeeded" or obj.status.phase == "Failed") then
  finished = true
end
actions["pause"] = {
  ["disabled"] = paused or finished,
  ["iconClass"] = "fa fa-fw fa-pause-circle",
}
actions["resume"] = {
  ["disabled"] = (not paused) or finished,
  ["iconClass"] = "fa fa-fw fa-play-circle",
}
return actions
