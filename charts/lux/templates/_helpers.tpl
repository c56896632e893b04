{{/* The namespace every object goes to: namespace.name, else lux-{tenant}-{network} for a tenant, else the release's. */}}
{{- define "lux.namespace" -}}
{{- if .Values.namespace.name -}}
{{- .Values.namespace.name -}}
{{- else if .Values.tenant -}}
{{- printf "lux-%s-%s" .Values.tenant .Values.network.name -}}
{{- else -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* Names are fixed ("luxd", "luxd-headless") so in-cluster peer names are luxd-{i}.luxd-headless.{ns}.svc.cluster.local. */}}
{{- define "lux.name" -}}luxd{{- end -}}

{{- define "lux.labels" -}}
app.kubernetes.io/name: luxd
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lux
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
lux.network/network: {{ .Values.network.name }}
{{- with .Values.tenant }}
lux.network/tenant: {{ . }}
{{- end }}
{{- end -}}

{{- define "lux.selector" -}}
app.kubernetes.io/name: luxd
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lux.chainsnapImage" -}}
{{ printf "%s:%s" .Values.chainsnap.image.repository .Values.chainsnap.image.tag | quote }}
{{- end -}}

{{/* Where the store credentials Secret is mounted (files AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */}}
{{- define "lux.credentialsDir" -}}/var/run/secrets/chainsnap/store{{- end -}}

{{/* Store options passed to every chainsnap command that talks to the store (one YAML list item per line). */}}
{{- define "lux.storeArgs" -}}
{{- with .Values.store.endpoint }}
- "--endpoint"
- {{ . | quote }}
{{- end }}
{{- with .Values.store.region }}
- "--region"
- {{ . | quote }}
{{- end }}
{{- if .Values.store.pathStyle }}
- "--path-style"
{{- end }}
{{- if .Values.store.credentialsSecret }}
- "--credentials-dir"
- {{ include "lux.credentialsDir" . | quote }}
{{- end }}
{{- with .Values.store.connections }}
- "--connections"
- {{ . | quote }}
{{- end }}
{{- with .Values.store.memoryLimit }}
- "--memory-limit"
- {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "lux.credentialsMount" -}}
{{- if .Values.store.credentialsSecret }}
- name: store-credentials
  mountPath: {{ include "lux.credentialsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "lux.credentialsVolume" -}}
{{- if .Values.store.credentialsSecret }}
- name: store-credentials
  secret:
    secretName: {{ .Values.store.credentialsSecret | quote }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{- define "lux.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The node's HTTP base URL inside the cluster (round-robin RPC service). */}}
{{- define "lux.rpcServiceURL" -}}
{{- printf "http://luxd-rpc.%s.svc.cluster.local:%d" (include "lux.namespace" .) (int .Values.ports.http) -}}
{{- end -}}

{{/* --pushgateway for the CronJobs' chainsnap commands, when pushgateway is set (one YAML list item per line). */}}
{{- define "lux.pushgatewayArgs" -}}
{{- with .Values.pushgateway }}
- "--pushgateway"
- {{ . | quote }}
- "--metrics-network"
- {{ $.Values.network.name | quote }}
{{- end }}
{{- end -}}

{{/* The stores the exporter watches: exporter.stores, else every snapshot/bundle store the chart uses (archive URLs left out). */}}
{{- define "lux.exporterStores" -}}
{{- $v := .Values -}}
{{- $s := list -}}
{{- if $v.exporter.stores }}{{ $s = $v.exporter.stores }}{{ else }}
{{- range (list $v.initMode.from $v.cronJobs.snapshot.to $v.cronJobs.rlpExport.to $v.rlpImport.from) }}
{{- if and . (not (regexMatch "\\.(tar|tar\\.zst|tar\\.lz4|tar\\.gz|tgz)$" .)) }}{{ $s = append $s . }}{{ end }}
{{- end }}
{{- end }}
{{- toJson (uniq $s) -}}
{{- end -}}

{{/* securityContext and resources of the chainsnap init containers, from values. */}}
{{- define "lux.chainsnapContainerSettings" -}}
{{- with .Values.chainsnapSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.initResources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
