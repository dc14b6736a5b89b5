// Preloaded into a process under test (NODE_OPTIONS=--require …): appends every OpenTelemetry
// package the process requires to MODULE_TRACE_FILE, so a test can tell which were loaded.
// Next.js loads server external packages with require(), under hashed aliases
// (`@opentelemetry/sdk-metrics-<hash>`), which still contain the package name.
'use strict';
const Module = require('node:module');
const fs = require('node:fs');

const out = process.env.MODULE_TRACE_FILE;
if (out) {
  const seen = new Set();
  const load = Module._load;
  Module._load = function traced(request, parent, isMain) {
    if (typeof request === 'string' && request.includes('@opentelemetry/') && !seen.has(request)) {
      seen.add(request);
      fs.appendFileSync(out, `${process.pid} ${request}\n`);
    }
    return load.call(this, request, parent, isMain);
  };
}
