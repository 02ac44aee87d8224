#!/bin/sh
# Write pgbouncer.ini for TARGET_HOST:TARGET_PORT, then run PgBouncer in the foreground.
set -eu
cat > /tmp/pgbouncer.ini <<INI
[databases]
* = host=${TARGET_HOST} port=${TARGET_PORT:-5432}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = /tmp/userlist.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 40
reserve_pool_size = 5
reserve_pool_timeout = 2
query_wait_timeout = ${QUERY_WAIT_TIMEOUT:-30}
server_idle_timeout = 60
server_login_retry = 1
server_connect_timeout = ${SERVER_CONNECT_TIMEOUT:-15}
ignore_startup_parameters = extra_float_digits,options
INI
echo '"postgres" ""' > /tmp/userlist.txt
exec pgbouncer /tmp/pgbouncer.ini
