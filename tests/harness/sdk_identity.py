"""Run by a shell under test: write the identity botocore resolves from the environment it
inherited (its default credential chain) to the JSON file named first."""

import json
import sys

import botocore.session

try:
    found = botocore.session.Session().get_credentials()
    identity = (
        {"accessKeyId": found.access_key, "sessionToken": found.token}
        if found
        else {"error": "NoCredentials"}
    )
except Exception as error:
    identity = {"error": type(error).__name__}

with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(identity, out)
