{{- define "eris.fullname" -}}{{ .Release.Name }}-eris{{- end -}}
{{- define "eris.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}
{{- define "eris.secretName" -}}{{ .Values.auth.existingSecret | default (printf "%s-token" (include "eris.fullname" .)) }}{{- end -}}
{{- /* Tokens with roles: the agents' token and the users' tokens in two Secrets (agents never see users' tokens). */ -}}
{{- define "eris.roles" -}}{{- if or .Values.auth.agentToken .Values.auth.existingAgentSecret .Values.auth.users .Values.auth.existingUsersSecret }}true{{- end -}}{{- end -}}
{{- define "eris.agentSecretName" -}}{{ .Values.auth.existingAgentSecret | default (printf "%s-agent-token" (include "eris.fullname" .)) }}{{- end -}}
{{- define "eris.usersSecretName" -}}{{ .Values.auth.existingUsersSecret | default (printf "%s-users" (include "eris.fullname" .)) }}{{- end -}}
{{- define "eris.coordinatorUrl" -}}{{ .Values.coordinator.url | default (printf "%s://%s-coordinator:%v" (ternary "wss" "ws" (ne .Values.tls.coordinatorSecret "")) (include "eris.fullname" .) .Values.coordinator.port) }}{{- end -}}
{{- /* TLS values that only make sense together, refused at render time with the value named. */ -}}
{{- define "eris.tlsChecks" -}}
{{- if and .Values.tls.agentClientCaSecret (not .Values.tls.coordinatorSecret) }}{{ fail "tls.agentClientCaSecret needs tls.coordinatorSecret: client certificates travel over TLS only" }}{{ end -}}
{{- if and .Values.tls.agentClientCaSecret .Values.agent.enabled (not .Values.tls.agentCertSecret) }}{{ fail "tls.agentClientCaSecret needs tls.agentCertSecret: the agents must present a certificate it signed" }}{{ end -}}
{{- if and .Values.tls.agentCertSecret (not (or .Values.tls.coordinatorSecret (hasPrefix "wss://" .Values.coordinator.url))) }}{{ fail "tls.agentCertSecret needs a TLS link: tls.coordinatorSecret, or a wss:// coordinator.url" }}{{ end -}}
{{- end -}}
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
