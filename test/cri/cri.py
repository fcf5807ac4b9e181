#!/usr/bin/python3
"""A minimal CRI v1 client for the test suite (the kubelet's side of the CRI).

    cri.py --socket PATH [--timeout SECONDS] METHOD [REQUEST_JSON]

Calls runtime.v1.RuntimeService/METHOD (or ImageService/METHOD) on the CRI
server at the unix socket PATH with the request given as JSON (proto3 JSON
mapping, field names as in api.proto; default {}), and prints the response
as one line of JSON with every field, defaults included (int64 values are
strings, as the proto3 JSON mapping says; ExecSync's stdout/stderr bytes are
printed as text). On an error it prints `cri: METHOD: CODE: DETAILS` on
stderr and exits 1 (2 for bad usage).

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


def main():
    parser = argparse.ArgumentParser(description="minimal CRI v1 client")
    parser.add_argument("--socket", required=True, help="the CRI server's unix socket")
    parser.add_argument("--timeout", type=float, default=60, help="seconds the call may take")
    parser.add_argument("method", help="e.g. RunPodSandbox, ContainerStatus, ListImages")
    parser.add_argument("request", nargs="?", default="{}", help="the request as JSON")
    args = parser.parse_args()

    api = load_api()
    import grpc
    from google.protobuf import json_format

    method = None
    for service in api.DESCRIPTOR.services_by_name.values():
        if args.method in service.methods_by_name:
            method = service.methods_by_name[args.method]
            break
    if method is None:
        print("cri: unknown method %s" % args.method, file=sys.stderr)
        return 2
    request_class = getattr(api, method.input_type.name)
    response_class = getattr(api, method.output_type.name)
    try:
        request = json_format.Parse(args.request, request_class())
    except json_format.ParseError as e:
        print("cri: %s: bad request JSON: %s" % (args.method, e), file=sys.stderr)
        return 2

    with grpc.insecure_channel("unix:" + args.socket) as channel:
        call = channel.unary_unary(
            "/runtime.v1.%s/%s" % (method.containing_service.name, method.name),
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        try:
            response = call(request, timeout=args.timeout)
        except grpc.RpcError as e:
            print("cri: %s: %s: %s" % (args.method, e.code().name, e.details()), file=sys.stderr)
            return 1

    out = json_format.MessageToDict(
        response, preserving_proto_field_name=True, including_default_value_fields=True
    )
    if method.output_type.name == "ExecSyncResponse":
        out["stdout"] = response.stdout.decode("utf-8", "replace")
        out["stderr"] = response.stderr.decode("utf-8", "replace")
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
