-- Argo CD action "bounce" on an ExpressNode: creates one NodeBounce (a new name each time, from generateName) for
-- the pod the Express operator runs for this node, which it names after the ExpressNode. Argo CD >= 2.8 runs
-- actions that create resources (operation "create"); the Application's AppProject must allow NodeBounces.
--   - ownerReference to the ExpressNode: Argo CD shows the NodeBounce (and its health) under the ExpressNode, and
--     Kubernetes deletes it with the ExpressNode.
--   - no Argo CD tracking metadata: the NodeBounce is not part of the Application's desired state, so Argo CD
--     never prunes it, never re-creates it, and the operator honours spec.ttlSecondsAfterFinished on it.
-- actionParams.reason (optional, asked for in the UI; `argocd app actions run` cannot pass parameters) becomes
-- spec.reason; without it the reason says which action on which ExpressNode asked.
local name = obj.metadata.name
local reason = "Argo CD action bounce on ExpressNode " .. name
if actionParams ~= nil and actionParams["reason"] ~= nil and actionParams["reason"] ~= "" then
  reason = actionParams["reason"]
end

local bounce = {}
bounce.apiVersion = "bounce.express.dev/v1alpha1"
bounce.kind = "NodeBounce"
bounce.metadata = {}
bounce.metadata.generateName = name .. "-"
bounce.metadata.namespace = obj.metadata.namespace
bounce.metadata.labels = {}
bounce.metadata.labels["bounce.express.dev/requested-by"] = "argocd-action"
bounce.metadata.ownerReferences = {}
bounce.metadata.ownerReferences[1] = {
  apiVersion = obj.apiVersion,
  kind = obj.kind,
  name = name,
  uid = obj.metadata.uid,
}
bounce.spec = {}
bounce.spec.podName = name
bounce.spec.reason = reason

local created = {}
created.operation = "create"
created.resource = bounce
return { created }
