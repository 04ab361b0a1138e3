"""Ways of getting credentials: one module per source, each checking what it is given, making
its one call and returning an `Issued` (request.py): the credentials, whose they are, and which
source issued them.

- role.py (AssumeRole), session_token.py (GetSessionToken), saml.py (AssumeRoleWithSAML),
  web_identity.py (AssumeRoleWithWebIdentity), sso.py (IAM Identity Center), imported.py (keys
  the user already holds), aws_cli_cache.py (the AWS CLI's cache, read without botocore);
- mfa_session.py (a role that asks for MFA, assumed through an MFA session, which `exec --serve`
  renews without a new code);
- assume.py picks the source for `assume` and `exec`; identity.py answers `whoami`;
- sts_session.py holds the botocore session, the STS client and the mapping of botocore's errors,
  credential_chain.py botocore's credential chain, bounded_client.py the bounds on every request.

A new source is a new module here, returning `Issued` with its name added to `SourceName`.
botocore is imported inside functions only, so that rendering and cache hits never load it.
"""
