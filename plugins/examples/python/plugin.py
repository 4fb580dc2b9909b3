#!/usr/bin/python3
"""Example ecgrobust plugin in Python: the same small deterministic
classifier with an analytic input gradient as plugins/examples/go, served
over hashicorp/go-plugin's gRPC protocol with Debian's python3-grpcio,
python3-protobuf, python3-numpy and python3-cryptography only.

What a non-Go plugin must do (all shown below):
  1. check the magic cookie and protocol version the host puts in the
     environment;
  2. serve ecgrobust.plugin.v1.Classifier, the gRPC health service with
     "plugin" SERVING, plugin.GRPCController (Shutdown) and plugin.GRPCStdio;
  3. with AutoMTLS (PLUGIN_CLIENT_CERT set), serve TLS with its own
     certificate and require the host's;
  4. print exactly one handshake line to stdout, flushed, and nothing else
     to stdout ever: log to stderr;
  5. exit when the host goes away.
"""

import base64
import datetime
import logging
import os
import sys
import threading
import time
from concurrent import futures

import grpc
import numpy as np

import classifier_pb2 as pb
import classifier_pb2_grpc as pb_grpc
import grpc_controller_pb2
import grpc_controller_pb2_grpc
import grpc_stdio_pb2_grpc
import health_pb2
import health_pb2_grpc

PROTOCOL_VERSION = 1
MAGIC_COOKIE_KEY = "ECGROBUST_PLUGIN"
MAGIC_COOKIE_VALUE = "ecg-classifier-7f3c1a9e"
MAX_MESSAGE = 2**31 - 1

CLASSES = ["N", "A", "O", "~"]
RATE_HZ, GAIN, LENGTH = 300.0, 1000.0, 18000
# Logits z = W @ [1, mean(x)/g, mean((x/g)^2)], as in the Go example.
W = np.array([[1.0, 0.5, -0.8], [0.2, -0.4, 1.2], [0.5, 1.0, 0.3], [-0.5, -1.0, 2.0]])

log = logging.getLogger("example-python")


def logits(x):
    """x: (batch, n) float64 adu -> (batch, 4) logits."""
    u = x / GAIN
    f = np.stack([np.ones(len(x)), u.mean(axis=1), (u * u).mean(axis=1)], axis=1)
    return f @ W.T


def d_loss(z, labels, loss):
    """d loss / d logits, (batch, 4)."""
    d = np.zeros_like(z)
    rows = np.arange(len(z))
    if loss == pb.LOSS_LOGIT_MARGIN:  # z_y - max_{j != y} z_j
        other = z.copy()
        other[rows, labels] = -np.inf
        d[rows, labels] = 1.0
        d[rows, other.argmax(axis=1)] = -1.0
        return d
    e = np.exp(z - z.max(axis=1, keepdims=True))  # softmax - onehot
    d = e / e.sum(axis=1, keepdims=True)
    d[rows, labels] -= 1.0
    return d


def gradient(x, labels, loss):
    d = d_loss(logits(x), labels, loss)
    n = x.shape[1]
    a = (d @ W[:, 1]) / (GAIN * n)
    b = (d @ (2 * W[:, 2])) / (GAIN * GAIN * n)
    return a[:, None] + b[:, None] * x


class Classifier(pb_grpc.ClassifierServicer):
    def __init__(self):
        # gRPC serves calls on a thread pool; one call at a time reaches the
        # model, as in the Go SDK (a call the harness gave up on may still run).
        self._lock = threading.Lock()

    def Describe(self, request, context):
        return pb.DescribeResponse(
            name="example-python", version="1.0.0", classes=CLASSES,
            sample_rate_hz=RATE_HZ, gain_adu_per_mv=GAIN,
            min_length=LENGTH, max_length=LENGTH, max_batch=0,
            scores=pb.SCORE_KIND_LOGITS,
            capabilities=pb.Capabilities(input_gradient=True),
            protocol_version=PROTOCOL_VERSION)

    def _decode(self, signals, context):
        if not signals:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty batch: send at least one signal")
        for i, s in enumerate(signals):
            if s.length != LENGTH:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              f"signal {i} has {s.length} samples, want {LENGTH}")
            if len(s.samples) != 4 * s.length:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              f"signal {i}: {len(s.samples)} bytes for {s.length} samples")
        x = np.stack([np.frombuffer(s.samples, dtype="<f4") for s in signals]).astype(np.float64)
        if not np.isfinite(x).all():
            i, j = np.argwhere(~np.isfinite(x))[0]
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"signal {i} sample {j} is not finite")
        return x

    def Predict(self, request, context):
        x = self._decode(request.signals, context)
        with self._lock:
            z = logits(x).astype(np.float32)
        return pb.PredictResponse(scores=[pb.Scores(values=row.tolist()) for row in z])

    def InputGradient(self, request, context):
        x = self._decode(request.signals, context)
        labels = np.array(request.labels, dtype=np.int64)
        if len(labels) != len(x) or (labels >= len(CLASSES)).any():
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "want one class index per signal")
        if request.loss not in (pb.LOSS_CROSS_ENTROPY, pb.LOSS_LOGIT_MARGIN):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"loss {request.loss} is not supported")
        with self._lock:
            g = gradient(x, labels, request.loss).astype("<f4")
            z = logits(x).astype(np.float32)
        return pb.InputGradientResponse(
            gradients=[pb.Signal(samples=row.tobytes(), length=len(row)) for row in g],
            scores=[pb.Scores(values=row.tolist()) for row in z])


class Health(health_pb2_grpc.HealthServicer):
    """go-plugin's host pings the service named "plugin"."""

    def Check(self, request, context):
        if request.service in ("", "plugin"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """Shutdown lets the host stop the plugin without waiting and killing."""

    def __init__(self, stop):
        self._stop = stop

    def Shutdown(self, request, context):
        self._stop.set()
        return grpc_controller_pb2.Empty()


class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """The host streams the plugin's stdout/stderr from here; this plugin
    writes stderr directly, so the stream stays open and empty."""

    def __init__(self, stop):
        self._stop = stop

    def StreamStdio(self, request, context):
        while not self._stop.wait(1.0) and context.is_active():
            pass
        return iter(())


def tls_credentials(client_cert_pem):
    """AutoMTLS: a self-signed certificate for localhost, and the host's
    certificate as the only client CA. Returns (credentials, cert DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ecgrobust plugin"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                         content_commitment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    creds = grpc.ssl_server_credentials([(key_pem, cert.public_bytes(serialization.Encoding.PEM))],
                                        root_certificates=client_cert_pem.encode(), require_client_auth=True)
    return creds, cert.public_bytes(serialization.Encoding.DER)


def watch_parent(ppid, stop):
    """go-plugin does not stop a plugin whose host died: do it here."""
    while not stop.wait(0.5):
        if os.getppid() != ppid:
            log.error("host process %d is gone; exiting", ppid)
            os._exit(1)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="[%(levelname)s] %(name)s: %(message)s")
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print("This is an ecgrobust plugin: run it through the harness, e.g.\n"
              "  ecgrobust plugin check " + sys.argv[0], file=sys.stderr)
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in versions:
        log.error("host speaks protocol versions %s, this plugin %d", versions, PROTOCOL_VERSION)
        return 1

    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE)])
    pb_grpc.add_ClassifierServicer_to_server(Classifier(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stop), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(Stdio(stop), server)

    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    if client_cert:
        creds, der = tls_credentials(client_cert)
        port = server.add_secure_port("127.0.0.1:0", creds)
        cert_field = "|" + base64.b64encode(der).decode().rstrip("=")
    else:
        port = server.add_insecure_port("127.0.0.1:0")
        cert_field = ""
    server.start()
    threading.Thread(target=watch_parent, args=(os.getppid(), stop), daemon=True).start()

    # The handshake: the first and only line on stdout, flushed.
    sys.stdout.write(f"1|{PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc{cert_field}\n")
    sys.stdout.flush()
    log.info("serving on 127.0.0.1:%d", port)

    stop.wait()
    server.stop(grace=0.5)
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except BrokenPipeError:  # the host closed our stderr: it is gone
        code = 1
    sys.stderr.flush()
    os._exit(code)
