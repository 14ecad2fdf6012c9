#!/usr/bin/env node
// A local Kinesis-compatible server for the demo, the tests and the benchmark.
//
//   node scripts/kinesalite.js PORT
//
// Listens on 127.0.0.1:PORT only (kinesalite alone would bind every interface),
// keeps its data in memory, creates and reshards streams at once, prints
// "kinesalite listening on 127.0.0.1:PORT" when ready, and exits when its stdin
// closes (so it never outlives the process that started it) or on SIGTERM/SIGINT.
'use strict'

const path = require('path')
const kinesalite = require(path.join(__dirname, '..', 'node_modules', 'kinesalite'))

const port = parseInt(process.argv[2], 10)
if (!(port > 0 && port < 65536)) {
  console.error('usage: node scripts/kinesalite.js PORT')
  process.exit(2)
}

const server = kinesalite({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100})

function stop() {
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}

server.on('error', (err) => {
  console.error(`kinesalite: cannot listen on 127.0.0.1:${port}: ${err.message}`)
  process.exit(1)
})
server.listen(port, '127.0.0.1', () => {
  console.log(`kinesalite listening on 127.0.0.1:${port}`)
})

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
