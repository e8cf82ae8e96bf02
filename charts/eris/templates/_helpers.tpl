{{- define "eris.fullname" -}}{{ .Release.Name }}-eris{{- end -}}
{{- define "eris.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}
{{- define "eris.secretName" -}}{{ .Values.auth.existingSecret | default (printf "%s-token" (include "eris.fullname" .)) }}{{- end -}}
{{- define "eris.coordinatorUrl" -}}{{ .Values.coordinator.url | default (printf "ws://%s-coordinator:%v" (include "eris.fullname" .) .Values.coordinator.port) }}{{- end -}}
{{- define "eris.labels" -}}
app.kubernetes.io/name: eris
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "eris.criSocket" -}}
{{- if .Values.agent.criSocket }}{{ .Values.agent.criSocket }}
{{- else if eq .Values.agent.runtime "cri-o" }}/var/run/crio/crio.sock
{{- else }}/run/containerd/containerd.sock
{{- end -}}
{{- end -}}
