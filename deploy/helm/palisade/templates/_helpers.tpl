{{/* Names, labels and the derived settings every template shares. */}}

{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The object name prefix: fullnameOverride, else the release name when it already contains
the chart name, else "<release>-<chart name>". */}}
{{- define "palisade.fullname" -}}
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

{{/* The results Service name is the full name plus "-results"; keep it a valid DNS label. */}}
{{- define "palisade.resultsName" -}}
{{- printf "%s-results" (include "palisade.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "palisade.namespace" -}}
{{- default .Release.Namespace .Values.operator.namespace -}}
{{- end -}}

{{- define "palisade.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "palisade.labels" -}}
helm.sh/chart: {{ include "palisade.chart" . }}
{{ include "palisade.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "palisade.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "palisade.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Palisade's image: the operator, its database containers and its scan Jobs run it. */}}
{{- define "palisade.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.image.registry -}}
{{- $repo = printf "%s/%s" (trimSuffix "/" .Values.image.registry) $repo -}}
{{- end -}}
{{- printf "%s:%s" $repo (toString (default .Chart.AppVersion .Values.image.tag)) -}}
{{- end -}}

{{/* Replicas: Trivy Operator's operator.replicas when given (0 included), else replicaCount. */}}
{{- define "palisade.replicas" -}}
{{- $r := .Values.replicaCount -}}
{{- if and (hasKey .Values.operator "replicas") (not (kindIs "invalid" .Values.operator.replicas)) -}}
{{- $r = .Values.operator.replicas -}}
{{- end -}}
{{- int $r -}}
{{- end -}}

{{/* "true" when more than one replica runs: they elect a leader through a Lease. */}}
{{- define "palisade.leaderElection" -}}
{{- ternary "true" "false" (gt (int (include "palisade.replicas" .)) 1) -}}
{{- end -}}

{{/* "true" when scan Jobs run in the workloads' namespaces (either key). */}}
{{- define "palisade.sameNamespace" -}}
{{- $t := default dict .Values.trivyOperator -}}
{{- ternary "true" "false" (or (eq (toString .Values.operator.scanJobsInSameNamespace) "true") (eq (toString (index $t "scanJobsInSameNamespace")) "true")) -}}
{{- end -}}

{{/* "true" when the operator copies workload pull secrets into its own namespace's scan Jobs:
the only case in which it reads Secrets. */}}
{{- define "palisade.copiesPullSecrets" -}}
{{- ternary "true" "false" (and (eq (include "palisade.sameNamespace" .) "false") (eq (toString .Values.operator.accessGlobalSecretsAndServiceAccount) "true")) -}}
{{- end -}}

{{/* The CRD names in crds/ (one CRD a file), as a YAML list, for rules limited by resourceNames. */}}
{{- define "palisade.crdNames" -}}
{{- $names := list -}}
{{- range $path, $_ := .Files.Glob "crds/*.yaml" -}}
{{- $names = append $names (fromYaml ($.Files.Get $path)).metadata.name -}}
{{- end -}}
{{- if not $names -}}
{{- fail "crds/ holds no CRD: run scripts/render-manifests.sh" -}}
{{- end -}}
{{- toYaml $names -}}
{{- end -}}

{{/* A map of labels or annotations with every value quoted as a string, so that values such as
true or 8080 in a values file still give valid metadata. Renders one "key: value" line each. */}}
{{- define "palisade.stringMap" -}}
{{- $lines := list -}}
{{- range $k, $v := . -}}
{{- $lines = append $lines (printf "%s: %s" $k ($v | toString | quote)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}
