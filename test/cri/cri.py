#!/usr/bin/python3
"""A minimal CRI v1 client for the test suite (the kubelet's side of the CRI).

    cri.py --socket PATH [--timeout SECONDS] [--proxy SOCK] METHOD [REQUEST_JSON]
    cri.py --socket PATH serve SOCK

Calls runtime.v1.RuntimeService/METHOD (or ImageService/METHOD) on the CRI
server at the unix socket PATH with the request given as JSON (proto3 JSON
mapping, field names as in api.proto; default {}), and prints the response
as one line of JSON with every field, defaults included (int64 values are
strings, as the proto3 JSON mapping says; ExecSync's stdout/stderr bytes are
printed as text). On an error it prints `cri: METHOD: CODE: DETAILS` on
stderr and exits 1 (2 for bad usage).

`serve SOCK` keeps one connection to the CRI server and answers calls sent
to the unix socket SOCK by `--proxy SOCK` (a fast start: no gRPC import).

The Python stubs are generated from api.proto (next to this file) with
grpc_tools.protoc into $CRI_GEN_DIR (default: a directory under /tmp named
by the hash of api.proto), once.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "api.proto")


def load_api():
    with open(PROTO, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    gen = os.environ.get("CRI_GEN_DIR") or os.path.join(tempfile.gettempdir(), "box-cri-" + digest)
    module = os.path.join(gen, "api_pb2.py")
    stamp = os.path.join(gen, "api.sha256")
    current = open(stamp).read() if os.path.exists(stamp) else ""
    if not os.path.exists(module) or current != digest:
        from grpc_tools import protoc  # python3-grpc-tools

        os.makedirs(gen, exist_ok=True)
        # Generate into a private directory, then rename: concurrent callers
        # never import a half-written module.
        tmp = tempfile.mkdtemp(dir=gen)
        if protoc.main(["protoc", "-I" + HERE, "--python_out=" + tmp, PROTO]) != 0:
            sys.exit("cri: protoc failed on " + PROTO)
        os.replace(os.path.join(tmp, "api_pb2.py"), module)
        os.rmdir(tmp)
        with open(stamp + ".tmp", "w") as f:
            f.write(digest)
        os.replace(stamp + ".tmp", stamp)
    sys.path.insert(0, gen)
    import api_pb2

    return api_pb2


def call(api, channel, method_name, request_json, timeout):
    """One CRI call; returns (exit status, stdout text, stderr text)."""
    import grpc
    from google.protobuf import json_format

    method = None
    for service in api.DESCRIPTOR.services_by_name.values():
        if method_name in service.methods_by_name:
            method = service.methods_by_name[method_name]
            break
    if method is None:
        return 2, "", "cri: unknown method %s\n" % method_name
    request_class = getattr(api, method.input_type.name)
    response_class = getattr(api, method.output_type.name)
    try:
        request = json_format.Parse(request_json, request_class())
    except json_format.ParseError as e:
        return 2, "", "cri: %s: bad request JSON: %s\n" % (method_name, e)
    stub = channel.unary_unary(
        "/runtime.v1.%s/%s" % (method.containing_service.name, method.name),
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    try:
        response = stub(request, timeout=timeout)
    except grpc.RpcError as e:
        return 1, "", "cri: %s: %s: %s\n" % (method_name, e.code().name, e.details())
    out = json_format.MessageToDict(
        response, preserving_proto_field_name=True, including_default_value_fields=True
    )
    if method.output_type.name == "ExecSyncResponse":
        out["stdout"] = response.stdout.decode("utf-8", "replace")
        out["stderr"] = response.stderr.decode("utf-8", "replace")
    return 0, json.dumps(out, sort_keys=True) + "\n", ""


def serve(api, channel, path):
    """Answers calls on the unix socket PATH, one JSON line each way: the
    tests' many calls then cost a connection, not a Python start with gRPC."""
    import socketserver

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            req = json.loads(self.rfile.readline())
            rc, out, err = call(api, channel, req["method"], req["request"], req["timeout"])
            self.wfile.write((json.dumps({"rc": rc, "out": out, "err": err}) + "\n").encode())

    if os.path.exists(path):
        os.unlink(path)
    socketserver.ThreadingUnixStreamServer.daemon_threads = True
    with socketserver.ThreadingUnixStreamServer(path, Handler) as server:
        server.serve_forever()


def via_proxy(path, method_name, request_json, timeout):
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall((json.dumps({"method": method_name, "request": request_json, "timeout": timeout}) + "\n").encode())
        reply = json.loads(s.makefile("rb").readline())
    return reply["rc"], reply["out"], reply["err"]


def main():
    parser = argparse.ArgumentParser(description="minimal CRI v1 client")
    parser.add_argument("--socket", required=True, help="the CRI server's unix socket")
    parser.add_argument("--timeout", type=float, default=60, help="seconds the call may take")
    parser.add_argument("--proxy", help="a `serve` socket to send the call through, when it exists")
    parser.add_argument("method", help="e.g. RunPodSandbox, ContainerStatus, ListImages; or serve")
    parser.add_argument("request", nargs="?", default="{}", help="the request as JSON; for serve, its socket")
    args = parser.parse_args()

    if args.method != "serve" and args.proxy and os.path.exists(args.proxy):
        rc, out, err = via_proxy(args.proxy, args.method, args.request, args.timeout)
    else:
        api = load_api()
        import grpc

        # Reconnect soon after the server restarts (the default backoff grows to minutes).
        options = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 500)]
        with grpc.insecure_channel("unix:" + args.socket, options=options) as channel:
            if args.method == "serve":
                serve(api, channel, args.request)
                return 0
            rc, out, err = call(api, channel, args.method, args.request, args.timeout)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return rc


if __name__ == "__main__":
    sys.exit(main())
