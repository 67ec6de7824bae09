// Writes dist/vpcsc-lambda.zip, the AWS Lambda deployment package: dist/lambda.js and its
// chunks (dist/lambda-chunks/), and a package.json that makes Node load them as ES modules.
// No node_modules: the build bundled what the handler imports. Run after `npm run build`:
//   npm run package:lambda
// fflate (a small pure-JS zip, no native code) instead of the `zip` command, which not
// every machine or CI image has.
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {zipSync, type Zippable} from 'fflate'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const LAMBDA_ZIP = join(dist, 'vpcsc-lambda.zip')

if (!existsSync(join(dist, 'lambda.js'))) {
  process.stderr.write('dist/lambda.js is missing: run npm run build first.\n')
  process.exit(2)
}
// A fixed time stamp: the same build gives the same zip (Terraform and CI compare hashes).
const mtime = new Date('2000-01-01T00:00:00Z')
const files: Zippable = {'package.json': [new TextEncoder().encode('{"type": "module"}\n'), {mtime}]}
for (const file of ['lambda.js', ...readdirSync(join(dist, 'lambda-chunks')).sort().map((name) => join('lambda-chunks', name))]) {
  files[relative(dist, join(dist, file))] = [readFileSync(join(dist, file)), {mtime}]
}
writeFileSync(LAMBDA_ZIP, zipSync(files, {level: 9}))
const size = statSync(LAMBDA_ZIP).size
process.stdout.write(`${relative(root, LAMBDA_ZIP)}: ${Object.keys(files).length} files, ${(size / 1024 / 1024).toFixed(2)} MB (${size} bytes)\n`)
