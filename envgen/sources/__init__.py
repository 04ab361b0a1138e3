"""Ways of getting credentials. Only the STS modules here import boto3, and only when called."""
