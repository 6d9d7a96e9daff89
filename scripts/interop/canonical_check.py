"""Cross-checks PECR's golden vectors against the reference protobuf runtime.

For every vector: parse its proto3 JSON into the generated Python class, serialize with
SerializeToString(deterministic=True), and compare the bytes and the domain-separated SHA-256
(SHA-256(type name || 0x00 || bytes)) with the committed values.

Usage: canonical_check.py VECTORS_JSON GENERATED_PYTHON_DIR
Prints one JSON object per vector ({"name", "ok", "python_hex"}) on stdout, then exits 1 if any differs.
"""

import hashlib
import importlib
import json
import pathlib
import sys


def message_class_of(message_factory, descriptor):
    """Returns the generated class of a descriptor on old (<4.22) and new protobuf runtimes alike."""
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


def main() -> int:
    vectors_path, generated_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, generated_dir)
    # Import every generated module so the default descriptor pool knows all PECR types.
    for module_path in sorted(pathlib.Path(generated_dir).rglob("*_pb2.py")):
        module = ".".join(module_path.relative_to(generated_dir).with_suffix("").parts)
        importlib.import_module(module)

    from google.protobuf import descriptor_pool, json_format, message_factory

    pool = descriptor_pool.Default()
    failures = 0
    for vector in json.loads(pathlib.Path(vectors_path).read_text(encoding="utf-8")):
        message_class = message_class_of(message_factory, pool.FindMessageTypeByName(vector["type"]))
        message = json_format.ParseDict(vector["json"], message_class())
        data = message.SerializeToString(deterministic=True)
        digest = hashlib.sha256(vector["type"].encode("utf-8") + b"\x00" + data).hexdigest()
        ok = data.hex() == vector["canonical_hex"] and digest == vector["hash"]
        failures += 0 if ok else 1
        print(json.dumps({"name": vector["name"], "ok": ok, "python_hex": data.hex(), "python_hash": digest}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
