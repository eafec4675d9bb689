-- Argo CD action "resume" on a RollingBounce: clears spec.paused; the rollout continues where it stopped.
if obj.spec ~= nil then
  obj.spec.paused = false
end
return obj
