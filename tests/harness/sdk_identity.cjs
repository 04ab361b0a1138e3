// Run by a shell under test: write the identity the AWS SDK for JavaScript v3 resolves from
// the environment it inherited (its default provider chain) to the JSON file named first.
"use strict";
const fs = require("fs");
const path = require("path");

const out = process.argv[2];
const { defaultProvider } = require(
  path.join(process.env.ENVGEN_TEST_NODE_MODULES, "@aws-sdk", "credential-provider-node"),
);
defaultProvider()().then(
  (found) => fs.writeFileSync(out, JSON.stringify({
    accessKeyId: found.accessKeyId, sessionToken: found.sessionToken ?? null,
  })),
  (error) => fs.writeFileSync(out, JSON.stringify({ error: error.name })),
);
