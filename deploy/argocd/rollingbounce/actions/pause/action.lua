-- Argo CD action "pause" on a RollingBounce: sets spec.paused (in-flight members finish, no new one starts).
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = true
return obj
