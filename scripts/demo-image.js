// Builds (or reuses) the demo's sample image and prints its tag: scripts/hello/server.js on the
// host's node, `FROM scratch`, the same way the tests build their fixture. Needs `npm run build`.
"use strict";
const { demoImage } = require("../dist/test/helpers/node-image");

demoImage().then(
  (tag) => console.log(tag),
  (error) => {
    console.error(`demo: could not build the sample image: ${error.message}`);
    process.exit(1);
  },
);
