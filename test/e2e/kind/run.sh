#!/usr/bin/env bash
# End-to-end test on a real cluster (kind): build the image, install deploy/base, bounce a StatefulSet-backed
# Express node pod, check that it was replaced. Needs docker (with a running daemon), kind (>= 0.26, so
# Kubernetes >= 1.32) and kubectl; skips (exit 0) with a message when one is missing. See README.md here.
#   test/e2e/kind/run.sh                 KEEP_CLUSTER=1 keeps the cluster afterwards
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

CLUSTER="${KIND_CLUSTER:-nodebounce-e2e}"
IMAGE="nodebounce-operator:e2e"
NS="express-e2e"
CTX="kind-${CLUSTER}"

for tool in docker kind kubectl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: '$tool' is not installed; the kind e2e needs docker, kind and kubectl."
    exit 0
  fi
done
if ! docker info >/dev/null 2>&1; then
  echo "SKIP: the docker daemon is not reachable ('docker info' fails); the kind e2e needs one."
  exit 0
fi

step() { echo "==> [$(date -u +%H:%M:%S)] $*"; }
k() { kubectl --context "$CTX" "$@"; }
# Inside the repository: kustomize only accepts relative paths to deploy/base.
WORK="$(mktemp -d "$PWD/test/e2e/kind/.overlay.XXXXXX")"
cleanup() {
  rc=$?
  if [ "$rc" -ne 0 ] && kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    echo "---- FAILED; diagnostics ----"
    k -n "$NS" get nodebounces,expressnodes,pods -o wide || true
    k -n "$NS" describe nodebounces || true
    k -n nodebounce-system logs deploy/nodebounce-operator --tail=100 || true
  fi
  rm -rf "$WORK"
  if [ -z "${KEEP_CLUSTER:-}" ]; then kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT

step "create kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s

step "build and load $IMAGE"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

step "install the sample Express CRD and deploy/base (image $IMAGE)"
k apply -f test/fixtures/crds/expressnode.yaml
cat > "$WORK/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../deploy/base
images:
  - name: nodebounce-operator
    newTag: e2e
YAML
k apply -k "$WORK"
k wait --for=condition=Established crd/nodebounces.bounce.express.dev crd/rollingbounces.bounce.express.dev crd/expressnodes.express.dev --timeout=60s
k -n nodebounce-system rollout status deploy/nodebounce-operator --timeout=180s

step "create an Express node backed by a StatefulSet"
k create namespace "$NS"
k -n "$NS" apply -f - <<'YAML'
apiVersion: express.dev/v1alpha1
kind: ExpressNode
metadata:
  name: express-e2e
spec:
  state: running
  shutdownProtection: true
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: express-e2e
spec:
  serviceName: express-e2e
  replicas: 1
  selector:
    matchLabels: { app: express-e2e }
  template:
    metadata:
      # The operator maps the pod to its ExpressNode through this label.
      labels: { app: express-e2e, express.dev/node: express-e2e }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: node
          image: registry.k8s.io/pause:3.10
YAML
k -n "$NS" rollout status statefulset/express-e2e --timeout=180s
OLD_UID="$(k -n "$NS" get pod express-e2e-0 -o jsonpath='{.metadata.uid}')"
step "pod express-e2e-0 uid $OLD_UID"

step "bounce it"
k -n "$NS" apply -f - <<'YAML'
apiVersion: bounce.express.dev/v1alpha1
kind: NodeBounce
metadata:
  name: e2e-bounce
spec:
  podName: express-e2e-0
  reason: kind e2e
YAML
k -n "$NS" wait --for=condition=Succeeded nodebounce/e2e-bounce --timeout=300s

step "check the result"
PHASE="$(k -n "$NS" get nodebounce e2e-bounce -o jsonpath='{.status.phase}/{.status.reason}')"
NEW_UID="$(k -n "$NS" get pod express-e2e-0 -o jsonpath='{.metadata.uid}')"
PROTECTION="$(k -n "$NS" get expressnode express-e2e -o jsonpath='{.spec.shutdownProtection}')"
k -n "$NS" get nodebounce e2e-bounce -o wide
echo "phase/reason: $PHASE; pod uid: $OLD_UID -> $NEW_UID; shutdown protection after: $PROTECTION"
[ "$PHASE" = "Succeeded/PodRestarted" ] || { echo "FAIL: expected Succeeded/PodRestarted"; exit 1; }
if [ -z "$NEW_UID" ] || [ "$NEW_UID" = "$OLD_UID" ]; then echo "FAIL: the pod was not replaced"; exit 1; fi
[ "$PROTECTION" = "true" ] || { echo "FAIL: shutdown protection was not restored"; exit 1; }
step "smoke check passed"

# The same e2e specs as the real-node tier (test/e2e/*.test.ts), in their remote mode with this kind cluster as the
# "remote" one: the operator image and the Express test app image are loaded into the kind node under registry-style
# names (nothing is pulled), each run installs into namespaces of its own and removes everything it created.
# KIND_SPECS=0 skips this part.
if [ "${KIND_SPECS:-1}" != "0" ]; then
  step "the e2e specs against the kind cluster (remote mode, docs/e2e.md)"
  k delete namespace "$NS" --wait=true
  APP_ARCHIVE="$(npx tsx -e "import('./test/harness/images.ts').then(async (m) => console.log(await m.expressAppImageArchive()))" | tail -1)"
  kind load image-archive "$APP_ARCHIVE" --name "$CLUSTER"
  APP_IMAGE="$(npx tsx -e "import('./test/harness/images.ts').then((m) => console.log(m.EXPRESS_APP_IMAGE))" | tail -1)"
  kind get kubeconfig --name "$CLUSTER" > "$WORK/kubeconfig"
  # The smoke check's install stays; the specs install their own copy, namespaced, next to it.
  k -n nodebounce-system scale deploy/nodebounce-operator --replicas=0
  NODEBOUNCE_E2E_KUBECONFIG="$WORK/kubeconfig" \
    NODEBOUNCE_E2E_IMAGE="docker.io/library/$IMAGE" \
    NODEBOUNCE_E2E_APP_IMAGE="$APP_IMAGE" \
    NODEBOUNCE_E2E_IMAGE_PULL_POLICY=IfNotPresent \
    npm run test:e2e
fi
step "PASS"
