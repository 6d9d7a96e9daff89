/**
 * gRPC server reflection, v1 and v1alpha (same messages, two packages), answered from a DescriptorIndex so
 * `buf curl` and grpcurl can call the services without proto files. Reflection is a bidi stream, so it works over
 * HTTP/2 only. Every file answer carries the file and its transitive imports.
 */
import { create } from "@bufbuild/protobuf";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "#gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "#gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";

/** A reflection request, in the shape shared by v1 and v1alpha. */
type AnyRequest = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/** A reflection answer (the `message_response` oneof) as plain init data, valid for both versions. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function notFound(message: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}

/** Answers one reflection request from `index`. */
export function answerReflectionRequest(index: DescriptorIndex, request: AnyRequest): Answer {
  const files = (file: ReturnType<DescriptorIndex["fileByName"]>, missing: string): Answer =>
    file
      ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.serializedWithDependencies(file) } }
      : notFound(missing);
  const message = request.messageRequest;
  switch (message.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.fileByName(message.value), "file not found");
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(message.value), "symbol not found");
    case "fileContainingExtension":
      return files(
        index.fileContainingExtension(message.value.containingType, message.value.extensionNumber),
        "extension not found",
      );
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(message.value);
      return numbers
        ? { case: "allExtensionNumbersResponse", value: { baseTypeName: message.value, extensionNumber: numbers } }
        : notFound("type not found");
    }
    default:
      return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty request" } };
  }
}

/** Registers reflection v1 and v1alpha on `router`. */
export function registerReflectionServices(router: ConnectRouter, index: DescriptorIndex): void {
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answerReflectionRequest(index, request),
        });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answerReflectionRequest(index, request),
        });
      }
    },
  });
}
