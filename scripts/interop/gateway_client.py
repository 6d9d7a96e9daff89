"""A Python gRPC client of PECR's gateway, generated from proto/, that recomputes evidence hashes itself.

It creates a session (the capability token arrives in the initial metadata), fetches a span, and recomputes the
unit's content_hash and evidence_unit_id with the published rules of proto/README.md — canonical text, the
identity messages, deterministic serialization, domain-separated SHA-256 — using only the generated classes and
the protobuf runtime, never the server's code.

Usage: gateway_client.py TARGET GENERATED_PYTHON_DIR OBJECT_ID
(TARGET is host:port; GENERATED_PYTHON_DIR holds the protoc --python_out / --grpc_python_out output.)
Prints one JSON object: the server's values and the recomputed ones.
"""

import hashlib
import json
import sys
import unicodedata


def domain_hash(message) -> str:
    """SHA-256(full type name || 0x00 || deterministic serialization), lowercase hex."""
    canonical = message.SerializeToString(deterministic=True)
    return hashlib.sha256(message.DESCRIPTOR.full_name.encode("utf-8") + b"\x00" + canonical).hexdigest()


def canonical_text(text: str) -> str:
    """CRLF and lone CR to LF, then Unicode NFC."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def main() -> int:
    target, generated_dir, object_id = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, generated_dir)
    import grpc  # noqa: E402  (Debian's python3-grpcio)
    from pecr.gateway.v1 import gateway_pb2, gateway_pb2_grpc  # noqa: E402
    from pecr.v1 import budget_pb2, identity_pb2, operator_pb2  # noqa: E402

    with grpc.insecure_channel(target) as channel:
        stub = gateway_pb2_grpc.GatewayServiceStub(channel)
        principal = (("x-pecr-principal-id", "dev"),)
        request = gateway_pb2.CreateSessionRequest(
            budget=budget_pb2.Budget(max_operator_calls=5, max_bytes=1_000_000, max_wallclock_ms=10_000, max_recursion_depth=2)
        )
        session, call = stub.CreateSession.with_call(request, metadata=principal, timeout=10)
        token = dict(call.initial_metadata()).get("x-pecr-session-token", "")
        span = stub.FetchSpan(
            gateway_pb2.FetchSpanRequest(session_id=session.session_id, params=operator_pb2.FetchSpanParams(object_id=object_id)),
            metadata=principal + (("x-pecr-session-token", token),),
            timeout=10,
        )
    unit = span.evidence_unit

    content = identity_pb2.ContentIdentity(text=canonical_text(unit.text))
    identity = identity_pb2.EvidenceUnitIdentity(
        source_system=unit.source_system,
        object_id=unit.object_id,
        version_id=unit.version_id,
        content_hash=unit.content_hash,
        policy_snapshot_hash=unit.policy_snapshot_hash,
    )
    identity.span_or_row_spec.CopyFrom(unit.span_or_row_spec)
    identity.as_of_time.CopyFrom(unit.as_of_time)
    identity.transform_chain.extend(unit.transform_chain)

    print(
        json.dumps(
            {
                "session_id": session.session_id,
                "token_received": len(token) > 0,
                "object_id": unit.object_id,
                "text": unit.text,
                "server": {"content_hash": unit.content_hash, "evidence_unit_id": unit.evidence_unit_id},
                "python": {"content_hash": domain_hash(content), "evidence_unit_id": domain_hash(identity)},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
