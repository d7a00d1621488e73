{{/* vim: set filetype=mustache: */}}

{{/*
Chart name, shortened to the 63 characters a label value allows.
*/}}
{{- define "tessera.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the
release name already contains it.
*/}}
{{- define "tessera.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tessera.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object of the release.
*/}}
{{- define "tessera.labels" -}}
helm.sh/chart: {{ include "tessera.chart" . }}
app.kubernetes.io/name: {{ include "tessera.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tessera
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the serving pods (Deployment, Service, PDB, NetworkPolicy).
The migration Job's pods carry component=migrate and are not selected.
*/}}
{{- define "tessera.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tessera.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "tessera.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tessera.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tessera.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end }}

{{/*
"postgres" when the database URL comes from a Secret (database.existingSecret),
else "sqlite" (database.url, one replica, a PersistentVolumeClaim).
*/}}
{{- define "tessera.database.engine" -}}
{{- if .Values.database.existingSecret -}}postgres{{- else -}}sqlite{{- end -}}
{{- end }}

{{/*
Seconds in a tessera duration: "90", "30s", "15m", "1h 30m", "30d", "2w".
Called with (dict "key" "config.server.shutdown_timeout" "value" $value); an
unreadable value fails the render naming the key.
*/}}
{{- define "tessera.durationSeconds" -}}
{{- $key := .key -}}
{{- $value := .value -}}
{{- if kindIs "float64" $value }}{{ $value = int64 $value }}{{ end -}}
{{- $text := toString $value | trim -}}
{{- $units := dict "s" 1 "sec" 1 "secs" 1 "second" 1 "seconds" 1 "m" 60 "min" 60 "mins" 60 "minute" 60 "minutes" 60 "h" 3600 "hr" 3600 "hrs" 3600 "hour" 3600 "hours" 3600 "d" 86400 "day" 86400 "days" 86400 "w" 604800 "week" 604800 "weeks" 604800 "M" 2630016 "month" 2630016 "months" 2630016 "y" 31557600 "year" 31557600 "years" 31557600 "ms" 0 "msec" 0 "us" 0 "usec" 0 "ns" 0 "nsec" 0 -}}
{{- $total := 0 -}}
{{- if regexMatch "^[0-9]+$" $text -}}
{{- $total = int64 $text -}}
{{- else if regexMatch "^([0-9]+ *[a-zA-Z]+ *)+$" $text -}}
{{- range $part := regexFindAll "[0-9]+ *[a-zA-Z]+" $text -1 -}}
{{- $n := regexFind "^[0-9]+" $part | int64 -}}
{{- $unit := regexReplaceAll "^[0-9]+ *" $part "" -}}
{{- if not (hasKey $units $unit) -}}
{{- fail (printf "%s: unknown duration unit %q in %q (use s, m, h, d, w)" $key $unit $text) -}}
{{- end -}}
{{- $total = add $total (mul $n (get $units $unit)) -}}
{{- end -}}
{{- else -}}
{{- fail (printf "%s: %q is not a duration (e.g. 30s, 15m, 1h 30m, 30d or plain seconds)" $key $text) -}}
{{- end -}}
{{- $total -}}
{{- end }}

{{/*
terminationGracePeriodSeconds: the preStop pause plus server.shutdown_timeout plus
a margin, so SIGKILL never cuts the graceful drain short; an explicit value must
be larger than the pause plus shutdown_timeout.
*/}}
{{- define "tessera.terminationGracePeriodSeconds" -}}
{{- $shutdown := include "tessera.durationSeconds" (dict "key" "config.server.shutdown_timeout" "value" (dig "server" "shutdown_timeout" "30s" .Values.config)) | int64 -}}
{{- $pause := .Values.lifecycle.preStopSleepSeconds | default 0 | int64 -}}
{{- if .Values.terminationGracePeriodSeconds -}}
{{- .Values.terminationGracePeriodSeconds | int64 -}}
{{- else -}}
{{- add $shutdown $pause 10 -}}
{{- end -}}
{{- end }}

{{/*
One environment value as text: lists comma separated, whole numbers without an
exponent, booleans as true/false.
*/}}
{{- define "tessera.envValue" -}}
{{- if kindIs "slice" . -}}
{{- join "," . -}}
{{- else if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end }}

{{/*
Keys of .Values.config the chart sets itself and refuses from values, with the
value to use instead.
*/}}
{{- define "tessera.managedConfigKeys" -}}
server.listen: containerPorts.http (the chart listens on 0.0.0.0)
server.metrics_listen: containerPorts.metrics (the chart listens on 0.0.0.0)
database.url: database.url or database.existingSecret
keys.kek: kek.existingSecret
keys.kek_file: kek.existingSecret
bootstrap.admin_email: bootstrap.existingSecret
bootstrap.admin_password: bootstrap.existingSecret
{{- end }}

{{/*
Every rule the values must satisfy, checked once; all problems are reported
together in one `fail`.
*/}}
{{- define "tessera.validate" -}}
{{- $errors := list -}}
{{- $engine := include "tessera.database.engine" . -}}
{{- $replicas := .Values.replicaCount | int -}}
{{- if eq $engine "sqlite" -}}
{{- if gt $replicas 1 -}}
{{- $errors = append $errors (printf "replicaCount=%d with SQLite: the embedded SQLite database supports exactly one replica (one writer on one PersistentVolumeClaim). Set replicaCount=1, or run more replicas on PostgreSQL: put a postgres:// URL in a Secret and set database.existingSecret." $replicas) -}}
{{- end -}}
{{- if .Values.autoscaling.enabled -}}
{{- $errors = append $errors "autoscaling.enabled=true with SQLite: the embedded SQLite database supports exactly one replica, so it cannot be autoscaled. Disable autoscaling, or use PostgreSQL (database.existingSecret)." -}}
{{- end -}}
{{- if not (hasPrefix "sqlite://" (toString .Values.database.url)) -}}
{{- $errors = append $errors (printf "database.url must be a sqlite:// URL (got %q). A PostgreSQL URL holds a password: put it in a Secret and set database.existingSecret (and database.existingSecretKey)." (regexReplaceAll "//[^@/]*@" (toString .Values.database.url) "//[redacted]@")) -}}
{{- end -}}
{{- else -}}
{{- if not .Values.database.existingSecretKey -}}
{{- $errors = append $errors "database.existingSecretKey must name the key of database.existingSecret that holds the postgres:// URL." -}}
{{- end -}}
{{- end -}}
{{- if .Values.autoscaling.enabled -}}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) -}}
{{- $errors = append $errors "autoscaling.minReplicas must not exceed autoscaling.maxReplicas." -}}
{{- end -}}
{{- end -}}
{{- if not .Values.kek.existingSecret -}}
{{- $errors = append $errors "kek.existingSecret is required: tessera seals its signing keys under a key-encryption key (KEK) that you must supply and back up; the chart never generates or ships one. Create it with: kubectl create secret generic tessera-kek --from-literal=kek=\"$(head -c 32 /dev/urandom | base64)\" and set kek.existingSecret=tessera-kek." -}}
{{- else if not .Values.kek.key -}}
{{- $errors = append $errors "kek.key must name the key of kek.existingSecret that holds the base64 KEK." -}}
{{- end -}}
{{- if not .Values.config.issuer -}}
{{- $errors = append $errors "config.issuer is required: the public URL of this authority (the `iss` of every token and the base of the discovery documents), e.g. https://auth.example.com." -}}
{{- else if not (regexMatch "^https?://" (toString .Values.config.issuer)) -}}
{{- $errors = append $errors (printf "config.issuer must be an http(s) URL (got %q)." (toString .Values.config.issuer)) -}}
{{- end -}}
{{- $managed := include "tessera.managedConfigKeys" . | fromYaml -}}
{{- range $section, $entries := .Values.config -}}
{{- if kindIs "map" $entries -}}
{{- range $key, $_ := $entries -}}
{{- $full := printf "%s.%s" $section $key -}}
{{- if hasKey $managed $full -}}
{{- $errors = append $errors (printf "config.%s is set by the chart; use %s instead." $full (get $managed $full)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $proxies := dig "server" "trusted_proxies" list .Values.config -}}
{{- if kindIs "string" $proxies -}}{{- $proxies = splitList "," $proxies -}}{{- end -}}
{{- range $proxies -}}
{{- if regexMatch "/0+$" (trim (toString .)) -}}
{{- $errors = append $errors (printf "config.server.trusted_proxies must not contain %s: it trusts every peer, so any client could choose the address the login throttle and the logs see. List the ingress controller's pod CIDR." (trim (toString .))) -}}
{{- end -}}
{{- end -}}
{{- if .Values.terminationGracePeriodSeconds -}}
{{- $shutdown := include "tessera.durationSeconds" (dict "key" "config.server.shutdown_timeout" "value" (dig "server" "shutdown_timeout" "30s" .Values.config)) | int64 -}}
{{- $pause := .Values.lifecycle.preStopSleepSeconds | default 0 | int64 -}}
{{- if le (int64 .Values.terminationGracePeriodSeconds) (add $shutdown $pause) -}}
{{- $errors = append $errors (printf "terminationGracePeriodSeconds=%d must be more than lifecycle.preStopSleepSeconds + config.server.shutdown_timeout (%d s), or in-flight requests are killed mid-drain." (int64 .Values.terminationGracePeriodSeconds) (add $shutdown $pause)) -}}
{{- end -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\ntessera chart: invalid values:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end }}

{{/*
The environment of every tessera container (server and migration Job):
listeners, database URL, KEK file and every key of .Values.config as
TESSERA__SECTION__KEY.
*/}}
{{- define "tessera.env" -}}
- name: TESSERA__SERVER__LISTEN
  value: "0.0.0.0:{{ .Values.containerPorts.http }}"
- name: TESSERA__SERVER__METRICS_LISTEN
  value: "0.0.0.0:{{ .Values.containerPorts.metrics }}"
{{- if eq (include "tessera.database.engine" .) "postgres" }}
- name: TESSERA__DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret | quote }}
      key: {{ .Values.database.existingSecretKey | quote }}
{{- else }}
- name: TESSERA__DATABASE__URL
  value: {{ .Values.database.url | quote }}
{{- end }}
- name: TESSERA__KEYS__KEK_FILE
  value: "/etc/tessera/kek/kek"
{{- range $section, $value := .Values.config }}
{{- if kindIs "map" $value }}
{{- range $key, $v := $value }}
{{- if not (or (kindIs "invalid" $v) (and (kindIs "string" $v) (eq $v "")) (and (kindIs "slice" $v) (empty $v))) }}
- name: {{ printf "TESSERA__%s__%s" (upper $section) (upper $key) }}
  value: {{ include "tessera.envValue" $v | quote }}
{{- end }}
{{- end }}
{{- else if not (or (kindIs "invalid" $value) (and (kindIs "string" $value) (eq $value ""))) }}
- name: {{ printf "TESSERA__%s" (upper $section) }}
  value: {{ include "tessera.envValue" $value | quote }}
{{- end }}
{{- end }}
{{- end }}
