/**
 * The protobuf descriptors a server can describe through reflection: the files of the served services and,
 * transitively, every file they import, indexed by file name and by fully qualified symbol. Built once at
 * startup from the protobuf-es descriptors the code was generated with, so reflection always matches what is
 * actually served.
 */
import { type DescFile, type DescService, createRegistry, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** Lookups answering gRPC server reflection requests. */
export interface DescriptorIndex {
  /** Fully qualified names of the served services, sorted. */
  readonly serviceNames: readonly string[];
  /** The file named `name` (e.g. `pecr/v1/budget.proto`). */
  fileByName(name: string): DescFile | undefined;
  /** The file declaring `symbol`: a message, enum, service, extension, method (`svc.Method`) or field (`Msg.field`). */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** The file declaring the extension number `number` of message `typeName`. */
  fileContainingExtension(typeName: string, number: number): DescFile | undefined;
  /** Extension numbers known for message `typeName`, sorted; undefined when the message is unknown. */
  extensionNumbersOf(typeName: string): number[] | undefined;
  /** `file` followed by its transitive imports (each once), serialised as FileDescriptorProto bytes. */
  serializedWithDependencies(file: DescFile): Uint8Array[];
}

function collectFiles(files: Iterable<DescFile>, into = new Map<string, DescFile>()): Map<string, DescFile> {
  for (const file of files) {
    if (into.has(file.proto.name)) continue;
    into.set(file.proto.name, file);
    collectFiles(file.dependencies, into);
  }
  return into;
}

/** Indexes the files of `services` and of everything they import. */
export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = collectFiles(services.map((service) => service.file));
  const registry = createRegistry(...files.values());
  const serialized = new Map<string, Uint8Array>();
  const bytesOf = (file: DescFile) => {
    let bytes = serialized.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file.proto.name, bytes);
    }
    return bytes;
  };

  const fileContainingSymbol = (symbol: string): DescFile | undefined => {
    const direct = registry.get(symbol);
    if (direct) return direct.file;
    const dot = symbol.lastIndexOf(".");
    if (dot < 0) return undefined;
    const parentName = symbol.slice(0, dot);
    const member = symbol.slice(dot + 1);
    const parent = registry.get(parentName);
    if (parent?.kind === "service" && parent.methods.some((method) => method.name === member)) return parent.file;
    if (parent?.kind === "message" && parent.fields.some((field) => field.name === member)) return parent.file;
    return undefined;
  };

  return {
    serviceNames: [...new Set(services.map((service) => service.typeName))].sort(),
    fileByName: (name) => files.get(name),
    fileContainingSymbol,
    fileContainingExtension(typeName, number) {
      const message = registry.getMessage(typeName);
      return message ? registry.getExtensionFor(message, number)?.file : undefined;
    },
    extensionNumbersOf(typeName) {
      if (!registry.getMessage(typeName)) return undefined;
      const numbers: number[] = [];
      for (const type of registry) {
        if (type.kind === "extension" && type.extendee.typeName === typeName) numbers.push(type.number);
      }
      return numbers.sort((a, b) => a - b);
    },
    serializedWithDependencies(file) {
      return [...collectFiles([file]).values()].map(bytesOf);
    },
  };
}
