// Thread: main. Protobuf schemas with protobufjs (maintained, the standard .proto parser for
// JavaScript): a schema is valid when protobufjs parses it and every type it names resolves.
// References are the files it imports: each `import "x.proto"` names a registered reference
// (`name` = the import path), parsed into the same Root first; google/protobuf/*.proto
// well-known types come from protobufjs's bundled definitions.
//
// Compatibility: protobufjs parses but does not compare schemas, and no maintained npm library
// does, so the rules are written here by hand, following Confluent's protobuf differences and
// protobuf's own "updating a message type" wire rules. Incompatible (for a reader R of data
// written with W):
//   PACKAGE_CHANGED; MESSAGE_REMOVED (a message of W's file missing in R);
//   FIELD_KIND_CHANGED (a field number of W reused in R as scalar/message/enum/map of another kind);
//   FIELD_SCALAR_KIND_CHANGED (scalar types outside one wire-compatible group: {int32, uint32,
//     int64, uint64, bool, enum}, {sint32, sint64}, {fixed32, sfixed32}, {fixed64, sfixed64},
//     {string, bytes}, {float}, {double});
//   FIELD_NAMED_TYPE_CHANGED (a message-typed field pointing at another message);
//   FIELD_NUMERIC_LABEL_CHANGED (repeated ↔ singular on a numeric field; string, bytes and
//     message fields may change, as protobuf allows);
//   REQUIRED_FIELD_ADDED / REQUIRED_FIELD_REMOVED (proto2);
//   ONEOF_FIELD_REMOVED (a field leaves a oneof that R still has);
//   FIELD_MOVED_TO_EXISTING_ONEOF (a field of W joins a oneof that W already had).
// Compatible: fields and messages added, fields removed (their numbers become unknown fields),
// renames, enum constants added or removed, new oneofs.
import protobuf from 'protobufjs';
import { invalidSchema } from '../errors.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './schema-format.js';

interface ProtoParsed {
  root: protobuf.Root;
  pkg: string;
  /** Full names (with leading dot) of the messages defined by this schema's own text. */
  ownMessages: string[];
}

const PARSE_OPTIONS = { keepCase: true, alternateCommentMode: true };

function allTypes(ns: protobuf.NamespaceBase, out: protobuf.Type[] = []): protobuf.Type[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) allTypes(nested as protobuf.NamespaceBase, out);
  }
  return out;
}

function addImports(root: protobuf.Root, imports: string[] | undefined, known: Set<string>): void {
  for (const name of imports ?? []) {
    if (known.has(name)) continue;
    const common = name.startsWith('google/protobuf/') ? protobuf.common.get(name) : undefined;
    if (common === undefined || common === null) throw invalidSchema(`import "${name}" is neither a reference of this schema nor a google/protobuf well-known type`);
    root.addJSON((common as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
    known.add(name);
  }
}

export const protobufFormat: SchemaFormat = {
  schemaType: 'PROTOBUF',

  parse(text: string, references: ResolvedReference[]): ParsedSchema {
    const root = new protobuf.Root();
    const known = new Set<string>();
    try {
      for (const ref of references) {
        if (ref.schemaType !== 'PROTOBUF') throw invalidSchema(`reference ${ref.name} is ${ref.schemaType}, a protobuf schema can only import protobuf schemas`);
        const res = protobuf.parse(ref.schema, root, PARSE_OPTIONS);
        addImports(root, res.imports, known);
        known.add(ref.name);
      }
      const before = new Set(allTypes(root).map((t) => t.fullName));
      const res = protobuf.parse(text, root, PARSE_OPTIONS);
      const ownMessages = allTypes(root).map((t) => t.fullName).filter((n) => !before.has(n));
      addImports(root, res.imports, known);
      root.resolveAll();
      const parsed: ProtoParsed = { root, pkg: res.package ?? '', ownMessages };
      return { schemaType: 'PROTOBUF', canonical: text.trim(), parsed };
    } catch (err) {
      if ((err as { name?: string }).name === 'RegistryError') throw err;
      throw invalidSchema((err as Error).message);
    }
  },

  readErrors(reader: ParsedSchema, writer: ParsedSchema): string[] {
    const r = reader.parsed as ProtoParsed;
    const w = writer.parsed as ProtoParsed;
    const errors: string[] = [];
    if (r.pkg !== w.pkg) errors.push(`package changed from "${w.pkg}" to "${r.pkg}" (PACKAGE_CHANGED)`);
    for (const name of w.ownMessages) {
      const wType = w.root.lookupType(name);
      const rType = r.root.lookup(name, [protobuf.Type]) as protobuf.Type | null;
      if (rType === null) {
        errors.push(`message ${name.slice(1)} removed (MESSAGE_REMOVED)`);
        continue;
      }
      compareMessage(rType, wType, errors);
    }
    return errors;
  },
};

type Kind = 'scalar' | 'message' | 'enum' | 'map';

function kindOf(f: protobuf.Field): Kind {
  if (f.map) return 'map';
  if (f.resolvedType instanceof protobuf.Type) return 'message';
  if (f.resolvedType instanceof protobuf.Enum) return 'enum';
  return 'scalar';
}

const SCALAR_GROUPS: string[][] = [
  ['int32', 'uint32', 'int64', 'uint64', 'bool', 'enum'],
  ['sint32', 'sint64'],
  ['fixed32', 'sfixed32'],
  ['fixed64', 'sfixed64'],
  ['string', 'bytes'],
  ['float'],
  ['double'],
];

function wireGroup(scalar: string): number {
  return SCALAR_GROUPS.findIndex((g) => g.includes(scalar));
}

function compareMessage(r: protobuf.Type, w: protobuf.Type, errors: string[]): void {
  const where = w.fullName.slice(1);
  const rOneofs = new Set(r.oneofsArray.map((o) => o.name));
  const wOneofs = new Set(w.oneofsArray.map((o) => o.name));
  for (const wf of w.fieldsArray) {
    const rf = r.fieldsById[wf.id];
    if (rf === undefined) {
      if (wf.required) errors.push(`${where}: required field ${wf.name} (${wf.id}) removed (REQUIRED_FIELD_REMOVED)`);
      if (wf.partOf && rOneofs.has(wf.partOf.name)) errors.push(`${where}: field ${wf.name} (${wf.id}) removed from oneof ${wf.partOf.name} (ONEOF_FIELD_REMOVED)`);
      continue;
    }
    const wk = kindOf(wf);
    const rk = kindOf(rf);
    const numericOrEnum = (k: Kind, f: protobuf.Field) => k === 'enum' || (k === 'scalar' && f.type !== 'string' && f.type !== 'bytes');
    if (wk !== rk && !((wk === 'enum' && rk === 'scalar' && wireGroup(rf.type) === 0) || (rk === 'enum' && wk === 'scalar' && wireGroup(wf.type) === 0))) {
      errors.push(`${where}: field ${wf.id} changed from ${wk} to ${rk} (FIELD_KIND_CHANGED)`);
    } else if (wk === 'scalar' && rk === 'scalar' && wf.type !== rf.type && wireGroup(wf.type) !== wireGroup(rf.type)) {
      errors.push(`${where}: field ${wf.id} changed from ${wf.type} to ${rf.type} (FIELD_SCALAR_KIND_CHANGED)`);
    } else if ((wk === 'message' || (wk === 'enum' && rk === 'enum')) && wf.resolvedType!.fullName !== rf.resolvedType!.fullName) {
      errors.push(`${where}: field ${wf.id} changed type from ${wf.resolvedType!.fullName.slice(1)} to ${rf.resolvedType!.fullName.slice(1)} (FIELD_NAMED_TYPE_CHANGED)`);
    } else if (wk === 'map' && (wf.type !== rf.type || (wf as unknown as protobuf.MapField).keyType !== (rf as unknown as protobuf.MapField).keyType)) {
      errors.push(`${where}: map field ${wf.id} changed its key or value type (FIELD_KIND_CHANGED)`);
    }
    if (wf.repeated !== rf.repeated && wk !== 'map' && (numericOrEnum(wk, wf) || numericOrEnum(rk, rf))) {
      errors.push(`${where}: field ${wf.id} changed between repeated and singular (FIELD_NUMERIC_LABEL_CHANGED)`);
    }
    if (rf.required && !wf.required) errors.push(`${where}: field ${rf.name} (${rf.id}) became required (REQUIRED_FIELD_ADDED)`);
    if (!wf.partOf && rf.partOf && wOneofs.has(rf.partOf.name)) {
      errors.push(`${where}: field ${wf.id} moved into the existing oneof ${rf.partOf.name} (FIELD_MOVED_TO_EXISTING_ONEOF)`);
    }
    if (wf.partOf && rf.partOf?.name !== wf.partOf.name && rOneofs.has(wf.partOf.name)) {
      errors.push(`${where}: field ${wf.id} left oneof ${wf.partOf.name} (ONEOF_FIELD_REMOVED)`);
    }
  }
  for (const rf of r.fieldsArray) {
    if (w.fieldsById[rf.id] === undefined && rf.required) errors.push(`${where}: required field ${rf.name} (${rf.id}) added (REQUIRED_FIELD_ADDED)`);
  }
}
