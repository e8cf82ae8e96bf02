{{- define "eris.fullname" -}}{{ .Release.Name }}-eris{{- end -}}
{{- define "eris.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}
{{- define "eris.secretName" -}}{{ .Values.auth.existingSecret | default (printf "%s-token" (include "eris.fullname" .)) }}{{- end -}}
{{- /* Tokens with roles: the agents' token and the users' tokens in two Secrets (agents never see users' tokens). */ -}}
{{- define "eris.roles" -}}{{- if or .Values.auth.agentToken .Values.auth.existingAgentSecret .Values.auth.users .Values.auth.existingUsersSecret }}true{{- end -}}{{- end -}}
{{- define "eris.agentSecretName" -}}{{ .Values.auth.existingAgentSecret | default (printf "%s-agent-token" (include "eris.fullname" .)) }}{{- end -}}
{{- define "eris.usersSecretName" -}}{{ .Values.auth.existingUsersSecret | default (printf "%s-users" (include "eris.fullname" .)) }}{{- end -}}
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
