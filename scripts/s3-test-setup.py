#!/usr/bin/env python3
"""Prepares a moto S3 server for the blob-bucket tests: an IAM user allowed s3:*, its access
key, and the bucket osg-blobs. Run against a moto_server started with
INITIAL_NO_AUTH_ACTION_COUNT=4 (these four calls are the unauthenticated ones; every later
request must carry a valid AWS Signature V4). Prints {"id": ..., "secret": ...}."""
import boto3, json, sys
url=sys.argv[1]
kw=dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam=boto3.client("iam", **kw)
iam.create_user(UserName="osg")
iam.put_user_policy(UserName="osg", PolicyName="s3", PolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}))
k=iam.create_access_key(UserName="osg")["AccessKey"]
boto3.client("s3", **kw).create_bucket(Bucket="osg-blobs")
print(json.dumps({"id":k["AccessKeyId"],"secret":k["SecretAccessKey"]}))
