#!/bin/sh
# Writes the S3 identities from the environment (the app's key; anonymous visitors may only read
# the public bucket), then runs every SeaweedFS server in this one process, data in /data.
set -eu
: "${OBJECT_STORE_ACCESS_KEY:?set OBJECT_STORE_ACCESS_KEY}"
: "${OBJECT_STORE_SECRET_KEY:?set OBJECT_STORE_SECRET_KEY}"
PUBLIC_BUCKET="${PUBLIC_BUCKET:-media}"
umask 077
cat > /data/s3.json <<JSON
{"identities": [
  {"name": "milestones",
   "credentials": [{"accessKey": "${OBJECT_STORE_ACCESS_KEY}", "secretKey": "${OBJECT_STORE_SECRET_KEY}"}],
   "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
  {"name": "anonymous", "actions": ["Read:${PUBLIC_BUCKET}"]}
]}
JSON
mkdir -p /data/store
# The app's first upload creates each bucket (-s3.autoCreateBucket, for its admin key).
exec weed server -dir=/data/store -ip.bind=0.0.0.0 -master.telemetry=false -master.volumeSizeLimitMB=64 \
    -volume.max=0 -volume.preStopSeconds=0 -filer -s3 -s3.port=8333 -s3.config=/data/s3.json \
    -s3.port.iceberg=0 -s3.port.lance=0 -iam=false
