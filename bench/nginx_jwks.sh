# shellcheck shell=bash
# The nginx reference for the JWKS benchmarks (jwks_load.sh, scaling.sh): one
# configuration, serving a JWKS file with the headers tessera sends.
#
# nginx_jwks_conf DIR PORT WORKERS JWKS_FILE [FILE_IO] > DIR/nginx.conf
# FILE_IO: the file-serving directives (default: sendfile on).
nginx_jwks_conf() {
  local dir=$1 port=$2 workers=$3 jwks=$4 file_io=${5:-"    sendfile on;"}
  mkdir -p "$dir/logs" "$dir/tmp"
  cat <<CONF
daemon off;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
$file_io
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        location = /.well-known/jwks.json {
            alias $jwks;
            default_type application/json;
            add_header Cache-Control "public, max-age=300";
        }
    }
}
CONF
}
