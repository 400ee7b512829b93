#!/bin/sh
# LocalStack ready hook: the bucket the broker's tiered storage writes to.
awslocal s3 mb s3://strata || true
