#!/bin/sh
# LocalStack ready hook: the bucket a broker started with
# STRATA_REMOTE_STORAGE_S3_BUCKET=strata uses. (The tier tests create their own buckets.)
set -e
awslocal s3 mb s3://strata 2>/dev/null || awslocal s3api head-bucket --bucket strata
echo "bucket strata ready"
