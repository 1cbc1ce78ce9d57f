#!/usr/bin/env node
// Starts @20minutes/s3rver (an S3-compatible test server that verifies SigV4 signatures) for
// sbapi's conformance tests. s3rver 4 ships no CLI of its own, so this is it.
//
//   node s3rver_launcher.js [--port N] [--address 127.0.0.1] [--directory DIR] [--bucket NAME]...
//                           [--access-key-id ID --secret-access-key SECRET] [--verbose]
//
// - Listens on --address (default 127.0.0.1) and --port (default 0: any free port).
// - Stores objects under --directory; without it, in a fresh temporary directory that is removed
//   on exit.
// - Creates each --bucket before it reports ready.
// - Credentials: s3rver knows one built-in pair, S3RVER / S3RVER. With --access-key-id and
//   --secret-access-key that pair is revoked and only the given one is accepted, so a test can
//   prove that signatures made with other keys are refused. Signatures are always verified
//   (allowMismatchedSignatures is off).
// - Prints one JSON line on stdout once listening:
//     {"msg":"ready","address":"127.0.0.1","port":N,"directory":"…","buckets":[…]}
//   and nothing else on stdout (s3rver's own log goes to stderr with --verbose, else nowhere).
// - Stops (exit 0) on SIGTERM or SIGINT, and when its stdin is a pipe that gets closed (the
//   parent died), so a crashed test cannot leave it running. A start-up failure is one line on
//   stderr, exit 1.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(message) {
  process.stderr.write(`s3rver_launcher: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    address: '127.0.0.1',
    port: 0,
    directory: null,
    buckets: [],
    accessKeyId: null,
    secretAccessKey: null,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) usage('bad --port');
        options.port = port;
        break;
      }
      case '--address':
        options.address = value();
        break;
      case '--directory':
        options.directory = value();
        break;
      case '--bucket':
        options.buckets.push(value());
        break;
      case '--access-key-id':
        options.accessKeyId = value();
        break;
      case '--secret-access-key':
        options.secretAccessKey = value();
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 21)
          .map((line) => line.replace(/^\/\/ ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if ((options.accessKeyId === null) !== (options.secretAccessKey === null)) {
    usage('--access-key-id and --secret-access-key go together');
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  let S3rver;
  let AWSAccount;
  try {
    S3rver = require('@20minutes/s3rver');
    AWSAccount = require('@20minutes/s3rver/lib/models/account');
  } catch (err) {
    process.stderr.write(`s3rver_launcher: cannot load @20minutes/s3rver (run npm ci in ` +
      `tests/peers): ${err.message}\n`);
    process.exit(1);
  }

  const ownDirectory = options.directory === null;
  const directory = ownDirectory
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'sbapi-s3rver-'))
    : options.directory;
  fs.mkdirSync(directory, { recursive: true });

  if (options.accessKeyId !== null) {
    AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
    AWSAccount.DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, options.secretAccessKey);
  }

  const server = new S3rver({
    address: options.address,
    port: options.port,
    directory,
    silent: !options.verbose,
    allowMismatchedSignatures: false,
    vhostBuckets: false,
    resetOnClose: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  if (options.verbose) {
    // s3rver logs to stdout through winston's console transport; keep stdout for the ready line.
    const console = require('console');
    global.console = new console.Console(process.stderr, process.stderr);
  }

  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    try {
      await server.close();
    } catch (err) {
      // not running yet, or already closed
    }
    if (ownDirectory) fs.rmSync(directory, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  let address;
  try {
    address = await server.run();
  } catch (err) {
    process.stderr.write(`s3rver_launcher: cannot start: ${err.message}\n`);
    if (ownDirectory) fs.rmSync(directory, { recursive: true, force: true });
    process.exit(1);
  }

  // Started with a pipe as stdin (a test harness): the pipe closing means the parent is gone.
  let stdinIsPipe = false;
  try {
    stdinIsPipe = fs.fstatSync(0).isFIFO();
  } catch (err) {
    // no stdin at all
  }
  if (stdinIsPipe) {
    process.stdin.on('end', () => stop(0));
    process.stdin.on('error', () => stop(0));
    process.stdin.resume();
  }

  process.stdout.write(JSON.stringify({
    msg: 'ready',
    address: address.address,
    port: address.port,
    directory,
    buckets: options.buckets,
  }) + '\n');
}

main();
