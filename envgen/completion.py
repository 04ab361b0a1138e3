"""Shell completion of profile names, straight from the AWS config files.

Completion runs on every TAB, so it reads the files itself (envgen.config_files)
instead of importing botocore.
"""

from __future__ import annotations


def complete_profile_names(incomplete: str) -> list[str]:
    """Profiles of AWS_CONFIG_FILE / ~/.aws/config and AWS_SHARED_CREDENTIALS_FILE /
    ~/.aws/credentials whose names start with what was typed so far."""
    from envgen.config_files import profile_names

    return sorted(name for name in profile_names() if name.startswith(incomplete))
