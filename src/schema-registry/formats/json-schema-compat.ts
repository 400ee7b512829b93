// Thread: main. "Can a reader with JSON Schema R read every document valid against writer
// schema W?" — a hand-written subset of Confluent's JSON Schema compatibility rules (no
// maintained npm library compares two JSON Schemas; ajv only validates documents). Each rule
// below is named as Confluent names the difference. Covered:
//   - type: W's types must all be allowed by R (integer → number widening is fine; TYPE_NARROWED,
//     TYPE_CHANGED otherwise);
//   - object: a property of W missing in R is fine if R's content model is open, an error if R is
//     closed (`additionalProperties: false`, PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL) and is
//     compared with R's additionalProperties schema when that is a schema; a property of R missing
//     in W is fine if W is closed, compared with W's additionalProperties schema when that is a
//     schema, and an error if W is open, unless R's property schema accepts anything
//     (PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL); a property required by R and not by W
//     (REQUIRED_PROPERTY_ADDED); R closing an open model (ADDITIONAL_PROPERTIES_REMOVED);
//     min/maxProperties narrowed;
//   - enum/const: R's values must include W's (ENUM_ARRAY_NARROWED); R adding an enum W lacks;
//   - string: maxLength/minLength narrowed, pattern or format added or changed;
//   - number: minimum/maximum/exclusive bounds narrowed, multipleOf added or not a divisor;
//   - array: items (schema or tuple) compared recursively, min/maxItems narrowed, uniqueItems added;
//   - oneOf/anyOf: each alternative of W must be read by R (by one of R's alternatives);
//     allOf compared pairwise; `not` must be unchanged;
//   - $ref: local JSON pointers (#/definitions/..., #/$defs/...) and references by name resolved
//     on both sides, recursion bounded (MAX_DEPTH).
// Not covered (treated as compatible when both sides agree textually, else reported): dependencies,
// dependentSchemas, if/then/else, patternProperties, propertyNames, contains, unevaluated*.

export interface JsonSchemaContext {
  root: unknown;
  /** Referenced schemas by the name `$ref` uses. */
  refs: Record<string, unknown>;
}

type Schema = boolean | Record<string, unknown>;

const MAX_DEPTH = 64;
const METADATA = new Set(['title', 'description', 'default', 'examples', '$comment', '$id', 'id', '$schema', 'definitions', '$defs', 'readOnly', 'writeOnly', 'deprecated']);
const UNCOVERED = ['dependencies', 'dependentSchemas', 'dependentRequired', 'if', 'then', 'else', 'patternProperties', 'propertyNames', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];
const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'];

export function jsonSchemaReadErrors(reader: JsonSchemaContext, writer: JsonSchemaContext): string[] {
  const errors: string[] = [];
  compare(reader, reader.root, writer, writer.root, '#', errors, 0);
  return errors;
}

function asSchema(value: unknown): Schema {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return true;
}

function pointer(root: unknown, fragment: string): unknown {
  let node = root;
  for (const raw of fragment.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Follows `$ref`s (bounded); returns the schema and the context its own local refs resolve in. */
function deref(ctx: JsonSchemaContext, schema: Schema): { ctx: JsonSchemaContext; schema: Schema } {
  for (let i = 0; i < 16 && typeof schema === 'object' && typeof schema.$ref === 'string'; i++) {
    const ref = schema.$ref;
    const hash = ref.indexOf('#');
    const name = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    if (name !== '') {
      if (!Object.hasOwn(ctx.refs, name)) return { ctx, schema };
      ctx = { root: ctx.refs[name], refs: ctx.refs };
    }
    schema = asSchema(fragment === '' ? ctx.root : pointer(ctx.root, fragment));
  }
  return { ctx, schema };
}

function isPermissive(s: Schema): boolean {
  if (s === true) return true;
  if (s === false) return false;
  return Object.keys(s).every((k) => METADATA.has(k));
}

function typeOfValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Types a schema admits; undefined = any type. */
function typeSet(s: Record<string, unknown>): Set<string> | undefined {
  if (typeof s.type === 'string') return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type.map(String));
  if (Array.isArray(s.enum)) return new Set(s.enum.map(typeOfValue));
  if (s.const !== undefined) return new Set([typeOfValue(s.const)]);
  return undefined;
}

function admitsType(types: Set<string> | undefined, t: string): boolean {
  return types === undefined || types.has(t) || (t === 'integer' && types.has('number'));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function compare(rc: JsonSchemaContext, rIn: unknown, wc: JsonSchemaContext, wIn: unknown, path: string, errors: string[], depth: number): void {
  if (depth > MAX_DEPTH) {
    errors.push(`${path}: schemas nested deeper than ${MAX_DEPTH} levels (recursive $ref?) cannot be compared`);
    return;
  }
  const rr = deref(rc, asSchema(rIn));
  const wr = deref(wc, asSchema(wIn));
  rc = rr.ctx;
  wc = wr.ctx;
  if (wr.schema === false || isPermissive(rr.schema)) return;
  if (rr.schema === false) return void errors.push(`${path}: the reader accepts nothing (false schema)`);
  if (wr.schema === true || isPermissive(wr.schema)) return void errors.push(`${path}: the writer accepts any value, the reader is narrower (TYPE_NARROWED)`);
  const r = rr.schema as Record<string, unknown>;
  const w = wr.schema as Record<string, unknown>;
  const recurse = (rs: unknown, ws: unknown, sub: string) => compare(rc, rs, wc, ws, `${path}/${sub}`, errors, depth + 1);

  // Alternatives: each of the writer's must be read by the reader (or one of its alternatives).
  const wAlts = (w.oneOf ?? w.anyOf) as unknown[] | undefined;
  const rAlts = (r.oneOf ?? r.anyOf) as unknown[] | undefined;
  if (Array.isArray(wAlts) || Array.isArray(rAlts)) {
    const readsWith = (rs: unknown, ws: unknown): boolean => {
      const sub: string[] = [];
      compare(rc, rs, wc, ws, path, sub, depth + 1);
      return sub.length === 0;
    };
    for (const [i, wa] of (Array.isArray(wAlts) ? wAlts : [w]).entries()) {
      const ok = Array.isArray(rAlts) ? rAlts.some((ra) => readsWith(ra, wa)) : readsWith(stripAlternatives(r), wa);
      if (!ok) errors.push(`${path}: alternative ${i} of the writer is not read by the reader (COMBINED_TYPE_SUBSCHEMAS_CHANGED)`);
    }
    return;
  }

  const wTypes = typeSet(w);
  const rTypes = typeSet(r);
  if (rTypes !== undefined) {
    if (wTypes === undefined) errors.push(`${path}: the reader restricts type to ${[...rTypes].join(', ')}, the writer allows any type (TYPE_NARROWED)`);
    else for (const t of wTypes) if (!admitsType(rTypes, t)) errors.push(`${path}: type ${t} of the writer is not allowed by the reader (TYPE_CHANGED)`);
  }
  const wAdmits = (t: string) => admitsType(wTypes, t);

  // enum / const
  const wValues = Array.isArray(w.enum) ? w.enum : w.const !== undefined ? [w.const] : undefined;
  if (Array.isArray(r.enum)) {
    if (wValues === undefined) errors.push(`${path}: the reader adds an enum the writer does not have (ENUM_ARRAY_NARROWED)`);
    else for (const v of wValues) if (!(r.enum as unknown[]).some((x) => same(x, v))) errors.push(`${path}: enum value ${JSON.stringify(v)} of the writer is missing in the reader (ENUM_ARRAY_NARROWED)`);
  }
  if (r.const !== undefined && !(wValues !== undefined && wValues.every((v) => same(v, r.const)))) errors.push(`${path}: const changed or added (CONST_CHANGED)`);

  // Bounds: the reader's must be at least as wide as the writer's.
  const lower = (k: string, code: string) => {
    if (typeof r[k] !== 'number') return;
    if (typeof w[k] !== 'number' || (w[k] as number) < (r[k] as number)) errors.push(`${path}: ${k} added or increased (${code})`);
  };
  const upper = (k: string, code: string) => {
    if (typeof r[k] !== 'number') return;
    if (typeof w[k] !== 'number' || (w[k] as number) > (r[k] as number)) errors.push(`${path}: ${k} added or decreased (${code})`);
  };
  if (wAdmits('number') || wAdmits('integer')) {
    lower('minimum', 'MINIMUM_ADDED_OR_INCREASED');
    lower('exclusiveMinimum', 'EXCLUSIVE_MINIMUM_ADDED_OR_INCREASED');
    upper('maximum', 'MAXIMUM_ADDED_OR_DECREASED');
    upper('exclusiveMaximum', 'EXCLUSIVE_MAXIMUM_ADDED_OR_DECREASED');
    if (typeof r.multipleOf === 'number' && !(typeof w.multipleOf === 'number' && Number.isInteger(w.multipleOf / r.multipleOf)))
      errors.push(`${path}: multipleOf added or changed (MULTIPLE_OF_CHANGED)`);
  }
  if (wAdmits('string')) {
    lower('minLength', 'MIN_LENGTH_ADDED_OR_INCREASED');
    upper('maxLength', 'MAX_LENGTH_ADDED_OR_DECREASED');
    if (r.pattern !== undefined && r.pattern !== w.pattern) errors.push(`${path}: pattern added or changed (PATTERN_ADDED_OR_CHANGED)`);
    if (r.format !== undefined && r.format !== w.format) errors.push(`${path}: format added or changed (FORMAT_ADDED_OR_CHANGED)`);
  }
  if (wAdmits('array')) {
    lower('minItems', 'MIN_ITEMS_ADDED_OR_INCREASED');
    upper('maxItems', 'MAX_ITEMS_ADDED_OR_DECREASED');
    if (r.uniqueItems === true && w.uniqueItems !== true) errors.push(`${path}: uniqueItems added (UNIQUE_ITEMS_ADDED)`);
    const rItems = r.prefixItems ?? r.items;
    const wItems = w.prefixItems ?? w.items;
    if (Array.isArray(rItems) || Array.isArray(wItems)) {
      if (!Array.isArray(rItems) || !Array.isArray(wItems) || rItems.length !== wItems.length) errors.push(`${path}: tuple items changed (ITEM_REMOVED/ITEM_ADDED)`);
      else rItems.forEach((ri, i) => recurse(ri, wItems[i], `items/${i}`));
    } else if (rItems !== undefined) recurse(rItems, wItems ?? true, 'items');
  }
  if (wAdmits('object')) {
    lower('minProperties', 'MIN_PROPERTIES_ADDED_OR_INCREASED');
    upper('maxProperties', 'MAX_PROPERTIES_ADDED_OR_DECREASED');
    compareObject(r, w, path, errors, recurse);
  }
  if (r.allOf !== undefined || w.allOf !== undefined) {
    const ra = Array.isArray(r.allOf) ? r.allOf : [];
    const wa = Array.isArray(w.allOf) ? w.allOf : [];
    if (ra.length !== wa.length) errors.push(`${path}: allOf changed (COMBINED_TYPE_SUBSCHEMAS_CHANGED)`);
    else ra.forEach((s, i) => recurse(s, wa[i], `allOf/${i}`));
  }
  if ((r.not !== undefined || w.not !== undefined) && !same(r.not, w.not)) errors.push(`${path}: not changed (NOT_TYPE_EXTENDED)`);
  for (const k of UNCOVERED) if ((r[k] !== undefined || w[k] !== undefined) && !same(r[k], w[k])) errors.push(`${path}: ${k} changed (not compared by this registry: keep it unchanged)`);
}

function stripAlternatives(s: Schema): Schema {
  if (typeof s === 'boolean') return s;
  const { oneOf: _o, anyOf: _a, ...rest } = s;
  return rest;
}

function compareObject(r: Record<string, unknown>, w: Record<string, unknown>, path: string, errors: string[], recurse: (rs: unknown, ws: unknown, sub: string) => void): void {
  const rProps = (typeof r.properties === 'object' && r.properties !== null ? r.properties : {}) as Record<string, unknown>;
  const wProps = (typeof w.properties === 'object' && w.properties !== null ? w.properties : {}) as Record<string, unknown>;
  const rAdditional = r.additionalProperties;
  const wAdditional = w.additionalProperties;
  const wClosed = wAdditional === false;
  for (const name of Object.keys(wProps)) {
    if (Object.hasOwn(rProps, name)) recurse(rProps[name], wProps[name], `properties/${name}`);
    else if (rAdditional === false) errors.push(`${path}: property ${name} removed from a closed content model (PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL)`);
    else if (rAdditional !== undefined && rAdditional !== true) recurse(rAdditional, wProps[name], `properties/${name}`);
  }
  for (const name of Object.keys(rProps)) {
    if (Object.hasOwn(wProps, name) || wClosed) continue;
    if (wAdditional !== undefined && wAdditional !== true) recurse(rProps[name], wAdditional, `properties/${name}`);
    else if (!isPermissive(asSchema(rProps[name]))) errors.push(`${path}: property ${name} added to an open content model (PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL)`);
  }
  const wRequired = new Set(Array.isArray(w.required) ? w.required.map(String) : []);
  for (const name of Array.isArray(r.required) ? r.required.map(String) : []) {
    if (!wRequired.has(name)) errors.push(`${path}: required property ${name} added (REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL)`);
  }
  if (rAdditional === false && !wClosed) errors.push(`${path}: additionalProperties closed by the reader (ADDITIONAL_PROPERTIES_REMOVED)`);
  else if (rAdditional !== undefined && typeof rAdditional !== 'boolean' && !wClosed) recurse(rAdditional, wAdditional ?? true, 'additionalProperties');
}
