{{- define "nodebounce-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nodebounce-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "nodebounce-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nodebounce-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "nodebounce-operator.labels" -}}
{{ include "nodebounce-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "nodebounce-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nodebounce-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The operator's rules: the same as deploy/base/clusterrole.yaml, which documents each one (a unit test keeps
them identical for the default values).
*/}}
{{- define "nodebounce-operator.rules" -}}
- apiGroups: [bounce.express.dev]
  resources: [nodebounces]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [bounce.express.dev]
  resources: [nodebounces/status]
  verbs: [get, update, patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, delete]
- apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
- apiGroups: [{{ .Values.express.group | quote }}]
  resources: [{{ .Values.express.plural | quote }}]
  verbs: [get, list, watch, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [bounce.express.dev]
  resources: [rollingbounces]
  verbs: [get, list, watch, patch]
- apiGroups: [bounce.express.dev]
  resources: [rollingbounces/status]
  verbs: [get, update, patch]
{{- end -}}

{{- define "nodebounce-operator.validate" -}}
{{- if and .Values.rbac.namespaced (empty .Values.watchNamespaces) -}}
{{- fail "rbac.namespaced=true needs watchNamespaces: the operator only gets a Role in the namespaces listed there" -}}
{{- end -}}
{{- if and .Values.notifications.enabled (empty .Values.notifications.existingSecret) -}}
{{- fail "notifications.enabled=true needs notifications.existingSecret (a Secret holding the webhook URL)" -}}
{{- end -}}
{{- if not (has .Values.notifications.format (list "slack" "json")) -}}
{{- fail "notifications.format must be slack or json" -}}
{{- end -}}
{{- end -}}

{{- define "nodebounce-operator.config" -}}
watchNamespaces: {{ toJson .Values.watchNamespaces }}
{{- with .Values.podLabelSelector }}
podLabelSelector: {{ . | quote }}
{{- end }}
express:
  {{- toYaml .Values.express | nindent 2 }}
argocd:
  {{- toYaml .Values.argocd | nindent 2 }}
protectionRestore:
  {{- toYaml .Values.protectionRestore | nindent 2 }}
prometheus:
  endpoints: {{ toJson (.Values.prometheus.endpoints | default dict) }}
disruptionBudget: {{ toJson (.Values.disruptionBudget | default dict) }}
maxConcurrentReconciles: {{ .Values.maxConcurrentReconciles }}
logLevel: {{ .Values.logLevel | quote }}
# Every interface in the pod (the operator's own defaults are loopback, for a run on a laptop).
metricsBindAddress: ":{{ .Values.metrics.port }}"
healthProbeBindAddress: ":{{ .Values.health.port }}"
metricsSecure: {{ .Values.metrics.secure }}
{{- if and .Values.metrics.secure .Values.metrics.certSecret }}
metricsCertPath: /etc/nodebounce-operator/metrics-cert
{{- end }}
leaderElection:
  enabled: {{ .Values.leaderElection.enabled }}
  leaseName: {{ .Values.leaderElection.leaseName | quote }}
  leaseDurationSeconds: {{ .Values.leaderElection.leaseDurationSeconds }}
  renewDeadlineSeconds: {{ .Values.leaderElection.renewDeadlineSeconds }}
  retryPeriodSeconds: {{ .Values.leaderElection.retryPeriodSeconds }}
api:
  {{- toYaml .Values.api | nindent 2 }}
{{- if .Values.notifications.enabled }}
notifications:
  enabled: true
  format: {{ .Values.notifications.format | quote }}
  {{- with .Values.notifications.clusterName }}
  clusterName: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end -}}
