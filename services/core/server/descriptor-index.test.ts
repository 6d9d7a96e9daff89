import test from "ava";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Health } from "#gen/grpc/health/v1/health_pb.js";
import { ServerReflectionRequestSchema } from "#gen/grpc/reflection/v1/reflection_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { answerReflectionRequest } from "./reflection-service.js";

const index = createDescriptorIndex([EchoService, GatewayService, Health]);

function fileNames(bytes: Uint8Array[]): string[] {
  return bytes.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
}

test("lists the served services, sorted", (t) => {
  t.deepEqual(index.serviceNames, ["grpc.health.v1.Health", "pecr.gateway.v1.GatewayService", "pecr.testing.v1.EchoService"]);
});

test("finds files by name, including transitive imports of the served files", (t) => {
  t.is(index.fileByName("pecr/v1/budget.proto")?.proto.name, "pecr/v1/budget.proto");
  t.is(index.fileByName("buf/validate/validate.proto")?.proto.name, "buf/validate/validate.proto");
  t.is(index.fileByName("google/protobuf/descriptor.proto")?.proto.name, "google/protobuf/descriptor.proto");
  t.is(index.fileByName("pecr/v1/nope.proto"), undefined);
});

test("finds the file declaring services, methods, messages, nested types, enums and fields", (t) => {
  const gateway = "pecr/gateway/v1/gateway.proto";
  t.is(index.fileContainingSymbol("pecr.gateway.v1.GatewayService")?.proto.name, gateway);
  t.is(index.fileContainingSymbol("pecr.gateway.v1.GatewayService.CreateSession")?.proto.name, gateway);
  t.is(index.fileContainingSymbol("pecr.v1.Budget")?.proto.name, "pecr/v1/budget.proto");
  t.is(index.fileContainingSymbol("pecr.v1.Budget.max_bytes")?.proto.name, "pecr/v1/budget.proto");
  t.is(index.fileContainingSymbol("pecr.v1.TerminalMode")?.proto.name, "pecr/v1/terminal_mode.proto");
  t.is(index.fileContainingSymbol("grpc.health.v1.HealthCheckResponse.ServingStatus")?.proto.name, "grpc/health/v1/health.proto");
  t.is(index.fileContainingSymbol("pecr.gateway.v1.GatewayService.Nope"), undefined);
  t.is(index.fileContainingSymbol("nope"), undefined);
});

test("file answers carry the file first, then each transitive import once", (t) => {
  const file = index.fileByName("pecr/gateway/v1/gateway.proto");
  t.truthy(file);
  const names = fileNames(index.serializedWithDependencies(file!));
  t.is(names[0], "pecr/gateway/v1/gateway.proto");
  t.is(new Set(names).size, names.length);
  for (const dependency of ["pecr/v1/budget.proto", "buf/validate/validate.proto", "google/protobuf/timestamp.proto", "google/protobuf/descriptor.proto"]) {
    t.true(names.includes(dependency), dependency);
  }
});

test("extension lookups: protovalidate's extensions of FieldOptions are known", (t) => {
  const numbers = index.extensionNumbersOf("google.protobuf.FieldOptions");
  t.true(numbers?.includes(1159));
  t.is(index.fileContainingExtension("google.protobuf.FieldOptions", 1159)?.proto.name, "buf/validate/validate.proto");
  t.is(index.fileContainingExtension("google.protobuf.FieldOptions", 1), undefined);
  t.is(index.extensionNumbersOf("no.such.Message"), undefined);
});

test("reflection answers: list, file by name, not found", (t) => {
  const list = answerReflectionRequest(index, create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }));
  t.deepEqual(list, {
    case: "listServicesResponse",
    value: { service: index.serviceNames.map((name) => ({ name })) },
  });
  const byName = answerReflectionRequest(
    index,
    create(ServerReflectionRequestSchema, { messageRequest: { case: "fileByFilename", value: "pecr/testing/v1/echo.proto" } }),
  );
  t.is(byName.case, "fileDescriptorResponse");
  if (byName.case === "fileDescriptorResponse") t.deepEqual(fileNames(byName.value.fileDescriptorProto), ["pecr/testing/v1/echo.proto"]);
  const missing = answerReflectionRequest(
    index,
    create(ServerReflectionRequestSchema, { messageRequest: { case: "fileContainingSymbol", value: "x.Y" } }),
  );
  t.deepEqual(missing, { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: "symbol not found" } });
});
