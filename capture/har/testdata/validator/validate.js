// Usage: node validate.js FILE.har...
// Validates each file with har-validator (the JSON schema of HAR 1.2 that
// most tools use) and prints one line per file; exits 1 if any is invalid.
'use strict';
const fs = require('fs');
const validate = require('har-validator');

async function main() {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      await validate.har(JSON.parse(fs.readFileSync(file, 'utf8')));
      console.log(`valid ${file}`);
    } catch (err) {
      failed++;
      const detail = err.errors ? JSON.stringify(err.errors) : String(err);
      console.log(`INVALID ${file}: ${detail}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
main();
