// Runs one Lambda invocation of a deployed bundle inside a worker thread whose process.env is the
// function's synthesized environment (Worker `env`), as the Node.js runtime would: import the
// bundle (init), then call the handler with the event and a context whose remaining time counts down
// from the function's timeout.
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { bundle, handler, event, timeoutMs, functionName, memoryMb, requestId, trustedCa } = workerData;
// The runtime's trust store: Node's CAs plus the emulators' self-signed certificate, as Lambda's
// holds the CAs of AWS's endpoints (NODE_EXTRA_CA_CERTS is read only at process start, and a
// worker shares the process). Every TLS connection without its own `ca` gets this store.
if (trustedCa) {
  const ca = [...tls.rootCertificates, trustedCa];
  const connect = tls.connect;
  tls.connect = (...args) => {
    const i = args.findIndex((a) => a !== null && typeof a === 'object');
    if (i >= 0 && args[i].ca === undefined && args[i].secureContext === undefined)
      args[i] = { ...args[i], ca };
    return connect.apply(tls, args);
  };
}
if ((process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps')) process.setSourceMapsEnabled(true);
const initStart = performance.now();
let result;
try {
  const mod = await import(pathToFileURL(bundle).href);
  const initMs = performance.now() - initStart;
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: 'emulated',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const value = await mod[handler](event, context);
    result = { ok: true, value, initMs };
  } catch (err) {
    result = { ok: false, error: { name: err?.name, message: err?.message, stack: err?.stack }, initMs };
  }
} catch (err) {
  result = { ok: false, error: { name: err?.name, message: err?.message, stack: err?.stack }, initMs: -1 };
}
parentPort.postMessage(JSON.parse(JSON.stringify(result ?? { ok: true })));
